-- Shared by every benchmark script (prepended by benchmarks/wrk.py): numbers the threads,
-- and prints one JSON line at the end that wrk.py reads. A script may keep, per thread,
-- `create_us` (latencies of its creates, microseconds) and `statuses` (count per status).
local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("tid", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local function percentile(sorted, p)
   if #sorted == 0 then return 0 end
   local i = math.floor(p * #sorted) + 1
   if i > #sorted then i = #sorted end
   return sorted[i]
end

function done(summary, latency, requests)
   local creates, statuses = {}, {}
   for _, thread in ipairs(threads) do
      for _, us in ipairs(thread:get("create_us") or {}) do table.insert(creates, us) end
      for status, n in pairs(thread:get("statuses") or {}) do
         statuses[status] = (statuses[status] or 0) + n
      end
   end
   table.sort(creates)
   local e = summary.errors
   local parts = {}
   for status, n in pairs(statuses) do table.insert(parts, string.format('"%s":%d', status, n)) end
   io.write(string.format(
      '{"requests":%d,"seconds":%.6f,"errors":%d,"p50_ms":%.3f,"p99_ms":%.3f,' ..
      '"creates":%d,"create_p50_ms":%.3f,"create_p99_ms":%.3f,"statuses":{%s}}\n',
      summary.requests, summary.duration / 1e6,
      e.connect + e.read + e.write + e.status + e.timeout,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      #creates, percentile(creates, 0.50) / 1000, percentile(creates, 0.99) / 1000,
      table.concat(parts, ",")))
end

-- wall-clock microseconds (LuaJIT's ffi: wrk's Lua has no clock of its own)
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } edgesim_timespec;
int clock_gettime(int clk_id, edgesim_timespec *tp);
]]
local ts = ffi.new("edgesim_timespec")
function now_us()
   ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

function read_lines(path)
   local out = {}
   for line in io.lines(path) do
      if line ~= "" then table.insert(out, line) end
   end
   return out
end

function read_file(path)
   local f = assert(io.open(path, "r"))
   local text = f:read("*a")
   f:close()
   return text
end

statuses = {}
create_us = {}
-- every request: the dev token (IAM-style auth, as the SDK's clients send a token) and JSON
wrk.headers["X-Auth-Token"] = "edgesim-dev-token"
wrk.headers["Content-Type"] = "application/json"
