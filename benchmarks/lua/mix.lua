-- The 70/20/10 mix: of every 10 requests, 6 GET a deployment, 1 lists limit=100, 2 create
-- and 1 deletes one this thread created (args: as create.lua, then get paths_file, list path).
-- A create's latency is measured here: its unique name comes back in the 201's body.
local path, body, nodes, prefix, gets, list_path, n
local started, created = {}, {}
local PATTERN = { "create", "get", "get", "list", "get", "create", "get", "delete", "get", "get" }

function init(args)
   path, body, nodes, prefix = args[1], read_file(args[2]), read_lines(args[3]), args[4]
   gets, list_path = read_lines(args[5]), args[6]
   n = 0
end

function request()
   n = n + 1
   local kind = PATTERN[(n % #PATTERN) + 1]
   if kind == "delete" and #created == 0 then kind = "get" end  -- nothing of ours yet
   if kind == "create" then
      local name = prefix .. "-" .. tid .. "-" .. n
      started[name] = now_us()
      local data = body:gsub("@N@", name):gsub("@NODE@", nodes[(n % #nodes) + 1])
      return wrk.format("POST", path, nil, data)
   elseif kind == "delete" then
      return wrk.format("DELETE", path .. "/" .. table.remove(created, 1))
   elseif kind == "list" then
      return wrk.format("GET", list_path)
   end
   return wrk.format("GET", gets[(n % #gets) + 1])
end

function response(status, headers, data)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 201 then
      local name = data:match('"name":"bench%-(' .. prefix .. '%-%d+%-%d+)"')
      local id = data:match('"id":"([%w%-]+)"')
      if name and started[name] then
         table.insert(create_us, now_us() - started[name])
         started[name] = nil
      end
      if id and name then table.insert(created, id) end
   end
end
