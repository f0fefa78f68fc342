-- wrk: each request a different `near` query, taken in turn from the file named after `--`
-- (one path per line), so a server cannot answer the run from one hot spot.
local paths = {}
local turn = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  -- Each wrk thread starts at its own place in the list.
  turn = math.random(#paths)
end

function request()
  turn = turn % #paths + 1
  return wrk.format("GET", paths[turn])
end
