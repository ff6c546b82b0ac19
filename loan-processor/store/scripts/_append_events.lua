-- append_events(history, branch_last, count, at, resolve): appends count events to the list history, and
-- returns base (LLEN before) and the index of ARGV after them. The commit numbers the events (see
-- docs/execution-model.md, "Event ids: assigned by the commit"): event k gets id base + k. Each event is two
-- ARGV entries from at: its previous event ('' the default: branch_last for the first event, the one before
-- it for the others; '@k' event k of this batch; or an id's digits) and its body (history_codec.h: its JSON
-- text without ids, encoded), which is stored as the previous event's id (nothing when it is id - 1), the
-- separator byte \2 and the body. With resolve, the placeholders \1k\1 of the bodies become the ids of the
-- batch's events (resolve_placeholders).
local function resolve_placeholders(text, base)
  return (string.gsub(text, '\1(%d+)\1', function(k) return tostring(base + tonumber(k)) end))
end
-- The entries go to Redis in RPUSHes of at most APPEND_CHUNK (one for any usual batch: each redis.call costs
-- about a microsecond, and unpack() is bounded by Lua's C stack).
local APPEND_CHUNK = 1000
local function append_events(history, branch_last, count, at, resolve)
  local base = redis.call('LLEN', history)
  local entries = {}
  for k = 1, count do
    local previous, body = ARGV[at], ARGV[at + 1]
    at = at + 2
    if previous == '' then
      if k == 1 then previous = branch_last else previous = tostring(base + k - 1) end
    elseif string.sub(previous, 1, 1) == '@' then
      previous = tostring(base + tonumber(string.sub(previous, 2)))
    end
    if previous == tostring(base + k - 1) then previous = '' end
    if resolve then body = resolve_placeholders(body, base) end
    entries[#entries + 1] = previous .. '\2' .. body
    if #entries == APPEND_CHUNK or k == count then
      redis.call('RPUSH', history, unpack(entries))
      entries = {}
    end
  end
  return base, at
end
-- resolve_fields(fields, names, base): in a flat name/value list, resolves the placeholders of the values of
-- the fields named in names (a comma-separated list).
local function resolve_fields(fields, names, base)
  local wanted = {}
  for name in string.gmatch(names, '[^,]+') do wanted[name] = true end
  for i = 1, #fields - 1, 2 do
    if wanted[fields[i]] then fields[i + 1] = resolve_placeholders(fields[i + 1], base) end
  end
end
