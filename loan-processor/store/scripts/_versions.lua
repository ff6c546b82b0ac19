-- Versions and aliases of a state machine (state_machine_store.h): the shared functions.
-- A version's contentRevision is the digest UpdateStateMachine's revisionId is made of, so a machine
-- never updated still has a revision to compare; its revisionId is the machine's, only when it had one (as
-- on AWS: a machine never updated has none).
local function version_key(name, n) return '{sfn}:version:' .. name .. ':' .. n end
local function versions_key(name) return '{sfn}:versions:' .. name end
local function alias_key(name, alias) return '{sfn}:alias:' .. name .. ':' .. alias end
local function aliases_key(name) return '{sfn}:aliases:' .. name end

local function content_revision(machine)
  local m = redis.call('HMGET', machine, 'definitionHash', 'roleArn', 'logging', 'tracing')
  local d = redis.sha1hex(table.concat(m, '\n'))
  return d:sub(1, 8) .. '-' .. d:sub(9, 12) .. '-' .. d:sub(13, 16) .. '-' .. d:sub(17, 20) .. '-' .. d:sub(21, 32)
end

-- Publishes the machine's current revision: {'OK', versionArn, creationDate} (the latest version when it
-- has that revision already), or {'QUOTA'} at 1000 versions.
local function publish_version(machine, name, description, now)
  local revision = content_revision(machine)
  local latest = redis.call('ZREVRANGE', versions_key(name), 0, 0)[1]
  if latest then
    local v = redis.call('HMGET', version_key(name, latest), 'contentRevision', 'arn', 'creationDate', 'revisionId')
    if (v[1] or v[4]) == revision then return {'OK', v[2], v[3]} end
  end
  if redis.call('ZCARD', versions_key(name)) >= 1000 then return {'QUOTA'} end
  local n = redis.call('HINCRBY', machine, 'lastVersion', 1)
  local m = redis.call('HMGET', machine, 'arn', 'definition', 'definitionHash', 'roleArn', 'type', 'logging',
                       'tracing', 'revisionId')
  local arn = m[1] .. ':' .. n
  redis.call('HSET', version_key(name, n), 'arn', arn, 'machineArn', m[1], 'name', name, 'version', n,
             'definition', m[2], 'definitionHash', m[3], 'roleArn', m[4], 'type', m[5], 'logging', m[6],
             'tracing', m[7], 'contentRevision', revision, 'description', description, 'creationDate', now)
  if m[8] then redis.call('HSET', version_key(name, n), 'revisionId', m[8]) end
  redis.call('ZADD', versions_key(name), n, n)
  return {'OK', arn, now}
end

-- The hash at key as a table of its fields, or nil when it does not exist.
local function read_hash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local out = {}
  for i = 1, #flat, 2 do out[flat[i]] = flat[i + 1] end
  return out
end

-- The names of the aliases of name whose routing names version_arn, oldest first.
local function aliases_of_version(name, version_arn)
  local out = {}
  for _, alias in ipairs(redis.call('ZRANGE', aliases_key(name), 0, -1)) do
    local routing = redis.call('HGET', alias_key(name, alias), 'routing')
    if routing then
      for _, route in ipairs(cjson.decode(routing)) do
        if route.stateMachineVersionArn == version_arn then
          out[#out + 1] = alias
          break
        end
      end
    end
  end
  return out
end
