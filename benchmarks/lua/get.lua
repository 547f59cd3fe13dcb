-- GET the paths of a file round-robin (args: paths_file).
local paths, n

function init(args)
   paths = read_lines(args[1])
   n = tid or 0
end

function request()
   n = n + 1
   return wrk.format("GET", paths[(n % #paths) + 1])
end
