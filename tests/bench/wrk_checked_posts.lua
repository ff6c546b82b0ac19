-- wrk script of scenario 3 (tests/bench/scenario_webhook.py): POSTs request bodies and checks every answer, so
-- that a server answering the wrong thing cannot look fast. Headers come from wrk's -H options.
--
--   wrk ... -s wrk_checked_posts.lua <url> -- repeat <status> <expected text> <body>
--       POSTs <body> for the whole run.
--   wrk ... -s wrk_checked_posts.lua <url> -- list <status> <expected text> <file>
--       POSTs each line of <file> exactly once; the lines are dealt out to wrk's threads (WRK_THREADS in the
--       environment must be wrk's -t). Once a thread has sent its share, its connections wait (delay()) until
--       every request of its share is answered, and then the thread stops; when all have, wrk ends: the run
--       lasts as long as the requests take (-d is a deadline). The marks <file>.done-<thread> must not exist
--       beforehand.
--
-- An answer is as expected when its status is <status> and its body contains <expected text>. done() prints one
-- line "WRK_RESULT {json}": wrk's summary (requests, duration_us, errors), latency percentiles (us), the answers
-- by status, and how many were as expected and not.

local ffi = require("ffi") -- wrk runs LuaJIT
ffi.cdef("int kill(int pid, int sig); int getpid(void);")
local SIGINT = 2

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

-- Lines 1, 1 + shares, 1 + 2 * shares, ... of the file for share 1; 2, 2 + shares, ... for share 2; and so on.
local function read_share(path, share, shares)
   local lines = {}
   local index = 0
   for line in io.lines(path) do
      if line ~= "" then
         if index % shares == share - 1 then
            table.insert(lines, line)
         end
         index = index + 1
      end
   end
   return lines
end

function init(args)
   mode = args[1]
   expected_status = tonumber(args[2])
   expected_text = args[3]
   answers = {}       -- status -> count
   expected = 0
   unexpected = 0
   if mode == "repeat" then
      repeated_request = wrk.format("POST", nil, nil, args[4])
   elseif mode == "list" then
      -- wrk calls setup() and init() thread by thread, so the thread count is not known here: the scenario
      -- passes it in WRK_THREADS.
      list_path = args[4]
      bodies = read_share(list_path, id, tonumber(os.getenv("WRK_THREADS")))
      finished = false
      next_body = 1
      reserved = 0
      answered = 0
      -- Defined in this mode only: wrk looks for delay() once, after init(), and then asks it before every
      -- request, request() coming when the delay is over. So delay() reserves a body for the request to come,
      -- and a connection finding none left waits longer than any run.
      delay = function()
         if reserved < #bodies then
            reserved = reserved + 1
            return 0
         end
         return 3600000
      end
      -- wrk calls thread 1's request() once before the run to check the request's shape, and sends nothing:
      -- that call must not use up a body.
      verification_pending = id == 1
   else
      error("mode must be repeat or list")
   end
end

function request()
   if mode == "repeat" then
      return repeated_request
   end
   local body = bodies[next_body]
   if verification_pending then
      verification_pending = false
   else
      next_body = next_body + 1
   end
   return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
   answers[status] = (answers[status] or 0) + 1
   if status == expected_status and string.find(body, expected_text, 1, true) then
      expected = expected + 1
   else
      unexpected = unexpected + 1
   end
   if mode == "list" then
      answered = answered + 1
   end
   if mode == "list" and answered >= #bodies and not finished then
      finish_share()
   end
end

-- wrk's main thread sleeps for the whole -d duration whatever its threads do, unless it gets SIGINT: each thread
-- whose share is answered stops and leaves a mark (<file>.done-<id>), and the one that finds every thread's mark
-- sends wrk that SIGINT, so that wrk ends (and measures its duration) when the last answer has come. Each thread
-- marks before it looks, so at least one of them sees all the marks.
function finish_share()
   finished = true
   wrk.thread:stop()
   local marks = tonumber(os.getenv("WRK_THREADS"))
   io.open(string.format("%s.done-%d", list_path, id), "w"):close()
   for other = 1, marks do
      local mark = io.open(string.format("%s.done-%d", list_path, other), "r")
      if not mark then
         return
      end
      mark:close()
   end
   -- Not os.execute("kill ..."): system() ignores SIGINT in the caller while its command runs.
   ffi.C.kill(ffi.C.getpid(), SIGINT)
end

local function json_object(pairs_list)
   local parts = {}
   for _, pair in ipairs(pairs_list) do
      table.insert(parts, string.format('"%s":%s', pair[1], pair[2]))
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local answers_total = {}
   local expected_total, unexpected_total = 0, 0
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("answers")) do
         answers_total[status] = (answers_total[status] or 0) + count
      end
      expected_total = expected_total + thread:get("expected")
      unexpected_total = unexpected_total + thread:get("unexpected")
   end
   local statuses = {}
   for status, count in pairs(answers_total) do
      table.insert(statuses, { tostring(status), count })
   end
   local errors = summary.errors
   print("WRK_RESULT " .. json_object({
      { "requests", summary.requests },
      { "duration_us", summary.duration },
      { "errors", json_object({ { "connect", errors.connect }, { "read", errors.read }, { "write", errors.write },
                                { "status", errors.status }, { "timeout", errors.timeout } }) },
      { "latency_us", json_object({ { "p50", latency:percentile(50) }, { "p99", latency:percentile(99) },
                                    { "max", latency.max }, { "mean", latency.mean } }) },
      { "answers", json_object(statuses) },
      { "expected", expected_total },
      { "unexpected", unexpected_total },
   }))
end
