-- POST a create body with a name unique to the run, thread and request, spread over nodes
-- (args: path, body_file holding @N@ and @NODE@, nodes_file, run prefix).
local path, body, nodes, prefix, n

function init(args)
   path, body, nodes, prefix = args[1], read_file(args[2]), read_lines(args[3]), args[4]
   n = 0
end

function request()
   n = n + 1
   local data = body:gsub("@N@", prefix .. "-" .. tid .. "-" .. n):gsub("@NODE@", nodes[(n % #nodes) + 1])
   return wrk.format("POST", path, nil, data)
end

function response(status, headers, data)
   statuses[status] = (statuses[status] or 0) + 1
end
