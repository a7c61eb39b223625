package cluster

import "github.com/redis/go-redis/v9"

// Keys (P is Config.Prefix):
//
//	P:nodes             set of node ids ever seen live (the sweep forgets dead ones)
//	P:node:<id>         hash url, cap, drain; PEXPIRE TTL: the heartbeat
//	P:noderooms:<id>    set of the node's room ids (its load; its rooms to drop when it dies)
//	P:room:<id>         hash name, node, seats, pend, max, locked, private, fm, opts, created, l
//	P:rooms             zset of every room id, by creation time (ms): rooms.list order
//	P:open:<name>       zset of room ids of type name with a free seat, not locked or
//	                    private, by creation time (candidates: reserve checks again)
//	P:claim:<token>     hash room, node, opts: a seat reserved for a redirected client
//	P:claims            zset of claim tokens by expiry (ms): the sweep gives their seats back
//	P:req:<token>       the reply of a reserve call, kept 60 s: a call run twice answers
//	                    the same; "x" after a cancel
//	P:lobby             pub/sub channel: "u\n<node>\n<listing>" and "r\n<node>\n<room id>"
//
// In a room record, seats counts every reserved or held seat (including
// pend, the seats reserved for claims not made yet), fm is a JSON object
// of the metadata's scalar values in canonical form (filterKey), opts the
// creating options (msgpack), created nanoseconds since 1970, l the
// listing (msgpack; "" until the owner lists the room).

// luaCommon is prepended to every script: ARGV[1] is the prefix, ARGV[2]
// the calling node.
const luaCommon = `
local P = ARGV[1]
local me = ARGV[2]
local function nodeKey(n) return P .. ':node:' .. n end
local function roomKey(id) return P .. ':room:' .. id end
local function nowMS()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local openCache = {}
-- nodeOpen: the node is live (heartbeat key present) and not draining.
local function nodeOpen(n)
  local v = openCache[n]
  if v == nil then
    v = (redis.call('HGET', nodeKey(n), 'drain') == '0')
    openCache[n] = v
  end
  return v
end
local aliveCache = {}
local function nodeAlive(n)
  local v = aliveCache[n]
  if v == nil then
    v = (redis.call('EXISTS', nodeKey(n)) == 1)
    aliveCache[n] = v
  end
  return v
end
local function score(created) return math.floor(tonumber(created) / 1000000) end
local function dropRoom(id, name, node)
  redis.call('DEL', roomKey(id))
  if name then redis.call('ZREM', P .. ':open:' .. name, id) end
  redis.call('ZREM', P .. ':rooms', id)
  redis.call('SREM', P .. ':noderooms:' .. node, id)
  redis.call('PUBLISH', P .. ':lobby', 'r\n' .. node .. '\n' .. id)
end
`

// luaReserve: ARGV 3 mode (id|join|joc|create), 4 name, 5 room id (id
// mode), 6 filter (JSON object), 7 may create (1/0), 8 new room id, 9 max
// clients, 10 private (1/0), 11 new room's fm, 12 creating options, 13
// created (ns), 14 request token (the claim token when remote), 15 claim
// TTL (ms), 16 joining options, 17 how many open rooms to look at.
// Answers {status, room id, node, url, name, opts, created}; status self,
// remote, notfound, full, locked, create (none fits, may not create),
// nocap, nonode (the caller is not registered), cancelled.
const luaReserve = luaCommon + `
local reqKey = P .. ':req:' .. ARGV[14]
local prior = redis.call('GET', reqKey)
if prior then
  if prior == 'x' then return {'cancelled'} end
  return cjson.decode(prior)
end
local function answer(a)
  redis.call('SET', reqKey, cjson.encode(a), 'PX', 60000)
  return a
end
if redis.call('EXISTS', nodeKey(me)) == 0 then return {'nonode'} end
local function load(id)
  local v = redis.call('HMGET', roomKey(id), 'node', 'seats', 'max', 'name', 'locked', 'private', 'fm', 'opts', 'created')
  if not v[1] then return nil end
  return {node = v[1], seats = tonumber(v[2]), max = tonumber(v[3]), name = v[4],
    locked = v[5] == '1', private = v[6] == '1', fm = v[7], opts = v[8], created = v[9]}
end
local function take(id, rec)
  local seats = redis.call('HINCRBY', roomKey(id), 'seats', 1)
  if seats >= rec.max then redis.call('ZREM', P .. ':open:' .. rec.name, id) end
  if rec.node == me then
    return answer({'self', id, me, '', rec.name, rec.opts, rec.created})
  end
  redis.call('HINCRBY', roomKey(id), 'pend', 1)
  local ttl = tonumber(ARGV[15])
  local ck = P .. ':claim:' .. ARGV[14]
  redis.call('HSET', ck, 'room', id, 'node', rec.node, 'opts', ARGV[16])
  redis.call('PEXPIRE', ck, ttl * 10 + 60000)
  redis.call('ZADD', P .. ':claims', nowMS() + ttl, ARGV[14])
  local url = redis.call('HGET', nodeKey(rec.node), 'url')
  return answer({'remote', id, rec.node, url, rec.name, '', rec.created})
end
local mode = ARGV[3]
if mode == 'id' then
  local rec = load(ARGV[5])
  if not rec or not nodeOpen(rec.node) then return {'notfound'} end
  if rec.locked then return {'locked'} end
  if rec.seats >= rec.max then return {'full'} end
  return take(ARGV[5], rec)
end
local name = ARGV[4]
local openKey = P .. ':open:' .. name
if mode ~= 'create' then
  local filter = cjson.decode(ARGV[6])
  local ids = redis.call('ZRANGE', openKey, 0, tonumber(ARGV[17]) - 1)
  for _, id in ipairs(ids) do
    local rec = load(id)
    if not rec or rec.seats >= rec.max then
      redis.call('ZREM', openKey, id)
    elseif nodeOpen(rec.node) and not rec.locked and not rec.private then
      local ok = true
      if next(filter) ~= nil then
        local fm = cjson.decode(rec.fm)
        for k, v in pairs(filter) do
          if fm[k] ~= v then ok = false break end
        end
      end
      if ok then return take(id, rec) end
    end
  end
  if mode == 'join' then return {'notfound'} end
  if ARGV[7] ~= '1' then return {'create'} end
end
local function hasCap(n)
  if not nodeOpen(n) then return false end
  local cap = tonumber(redis.call('HGET', nodeKey(n), 'cap'))
  return cap == 0 or redis.call('SCARD', P .. ':noderooms:' .. n) < cap
end
local node = nil
if hasCap(me) then
  node = me
else
  local best = nil
  for _, n in ipairs(redis.call('SMEMBERS', P .. ':nodes')) do
    if hasCap(n) then
      local load = redis.call('SCARD', P .. ':noderooms:' .. n)
      if best == nil or load < best then best, node = load, n end
    end
  end
end
if not node then return {'nocap'} end
local id = ARGV[8]
if redis.call('EXISTS', roomKey(id)) == 1 then return {'nocap'} end
local max = tonumber(ARGV[9])
redis.call('HSET', roomKey(id), 'name', name, 'node', node, 'seats', 0, 'pend', 0, 'max', max,
  'locked', '0', 'private', ARGV[10], 'fm', ARGV[11], 'opts', ARGV[12], 'created', ARGV[13], 'l', '')
if ARGV[10] ~= '1' then redis.call('ZADD', openKey, score(ARGV[13]), id) end
redis.call('ZADD', P .. ':rooms', score(ARGV[13]), id)
redis.call('SADD', P .. ':noderooms:' .. node, id)
return take(id, {node = node, seats = 0, max = max, name = name, opts = ARGV[12], created = ARGV[13]})
`

// luaCancel: ARGV 3 request token. Undoes a reserve whose answer the
// caller never got (or marks the token so a late run does nothing).
const luaCancel = luaCommon + `
local reqKey = P .. ':req:' .. ARGV[3]
local prior = redis.call('GET', reqKey)
redis.call('SET', reqKey, 'x', 'PX', 60000)
if not prior or prior == 'x' then return 0 end
local a = cjson.decode(prior)
if a[1] ~= 'self' and a[1] ~= 'remote' then return 0 end
if a[1] == 'remote' then
  local ck = P .. ':claim:' .. ARGV[3]
  if redis.call('EXISTS', ck) == 0 then return 0 end
  redis.call('DEL', ck)
  redis.call('ZREM', P .. ':claims', ARGV[3])
  redis.call('HINCRBY', roomKey(a[2]), 'pend', -1)
end
local rk = roomKey(a[2])
local v = redis.call('HMGET', rk, 'seats', 'max', 'name', 'created', 'locked', 'private', 'node', 'pend', 'l')
if not v[1] then return 0 end
local seats = math.max(0, tonumber(v[1]) - 1)
redis.call('HSET', rk, 'seats', seats)
if seats == 0 and tonumber(v[8]) == 0 and v[9] == '' then
  -- created by this reserve and never run: it goes
  dropRoom(a[2], v[3], v[7])
elseif seats < tonumber(v[2]) and v[5] ~= '1' and v[6] ~= '1' then
  redis.call('ZADD', P .. ':open:' .. v[3], score(v[4]), a[2])
end
return 1
`

// luaClaim: ARGV 3 claim token. Answers {ok, room id, name, creating
// opts, created, joining opts} or {invalid}.
const luaClaim = luaCommon + `
local tok = ARGV[3]
local ck = P .. ':claim:' .. tok
local c = redis.call('HMGET', ck, 'room', 'node', 'opts')
if not c[1] or c[2] ~= me then return {'invalid'} end
local exp = redis.call('ZSCORE', P .. ':claims', tok)
if not exp or tonumber(exp) < nowMS() then return {'invalid'} end
redis.call('DEL', ck)
redis.call('ZREM', P .. ':claims', tok)
local rk = roomKey(c[1])
local r = redis.call('HMGET', rk, 'name', 'opts', 'created', 'node')
if not r[1] or r[4] ~= me then return {'invalid'} end
redis.call('HINCRBY', rk, 'pend', -1)
return {'ok', c[1], r[1], r[2], r[3], c[3]}
`

// luaRelease: ARGV 3 room id. One seat of a room of the caller comes back.
const luaRelease = luaCommon + `
local rk = roomKey(ARGV[3])
local v = redis.call('HMGET', rk, 'node', 'seats', 'max', 'name', 'created', 'locked', 'private')
if v[1] ~= me then return 0 end
local seats = math.max(0, tonumber(v[2]) - 1)
redis.call('HSET', rk, 'seats', seats)
if seats < tonumber(v[3]) and v[6] ~= '1' and v[7] ~= '1' then
  redis.call('ZADD', P .. ':open:' .. v[4], score(v[5]), ARGV[3])
end
return 1
`

// luaDisposeIfEmpty: ARGV 3 room id. 1: the record is gone (removed now,
// or before); 0: a seat is reserved in it.
const luaDisposeIfEmpty = luaCommon + `
local rk = roomKey(ARGV[3])
local v = redis.call('HMGET', rk, 'node', 'seats', 'name')
if v[1] ~= me then return 1 end
if tonumber(v[2]) > 0 then return 0 end
dropRoom(ARGV[3], v[3], me)
return 1
`

// luaRemove: ARGV 3 room id. The caller's room is gone whatever its seats.
const luaRemove = luaCommon + `
local rk = roomKey(ARGV[3])
local v = redis.call('HMGET', rk, 'node', 'name')
if v[1] ~= me then return 0 end
dropRoom(ARGV[3], v[2], me)
return 1
`

// luaPut: ARGV 3 room id, 4 listing, 5 locked, 6 private, 7 fm. A locked
// or private room leaves the open set (joinById still finds it). 0 when
// the record is missing (the node publishes its rooms again).
const luaPut = luaCommon + `
local rk = roomKey(ARGV[3])
local v = redis.call('HMGET', rk, 'node', 'seats', 'max', 'name', 'created')
if v[1] ~= me then return 0 end
redis.call('HSET', rk, 'l', ARGV[4], 'locked', ARGV[5], 'private', ARGV[6], 'fm', ARGV[7])
if ARGV[5] == '1' or ARGV[6] == '1' then
  redis.call('ZREM', P .. ':open:' .. v[4], ARGV[3])
elseif tonumber(v[2]) < tonumber(v[3]) then
  redis.call('ZADD', P .. ':open:' .. v[4], score(v[5]), ARGV[3])
end
redis.call('PUBLISH', P .. ':lobby', 'u\n' .. me .. '\n' .. ARGV[4])
return 1
`

// luaRepublish: ARGV 3.. groups of 10: id, name, seats, max, locked,
// private, fm, opts, created, listing. The caller's rooms as it holds
// them, after Redis lost them (seats reserved for claims are kept).
const luaRepublish = luaCommon + `
local n = 0
for i = 3, #ARGV - 9, 10 do
  local id, name = ARGV[i], ARGV[i + 1]
  local rk = roomKey(id)
  local cur = redis.call('HMGET', rk, 'node', 'pend')
  if not cur[1] or cur[1] == me then
    local pend = tonumber(cur[2] or '0')
    local seats, max = tonumber(ARGV[i + 2]) + pend, tonumber(ARGV[i + 3])
    redis.call('HSET', rk, 'name', name, 'node', me, 'seats', seats, 'pend', pend, 'max', max,
      'locked', ARGV[i + 4], 'private', ARGV[i + 5], 'fm', ARGV[i + 6], 'opts', ARGV[i + 7],
      'created', ARGV[i + 8], 'l', ARGV[i + 9])
    local s = score(ARGV[i + 8])
    redis.call('ZADD', P .. ':rooms', s, id)
    redis.call('SADD', P .. ':noderooms:' .. me, id)
    if seats < max and ARGV[i + 4] ~= '1' and ARGV[i + 5] ~= '1' then
      redis.call('ZADD', P .. ':open:' .. name, s, id)
    else
      redis.call('ZREM', P .. ':open:' .. name, id)
    end
    if ARGV[i + 9] ~= '' then
      redis.call('PUBLISH', P .. ':lobby', 'u\n' .. me .. '\n' .. ARGV[i + 9])
    end
    n = n + 1
  end
end
return n
`

// luaBeat: ARGV 3 url, 4 capacity, 5 draining (1/0), 6 TTL (ms), 7 most
// expired claims to sweep, 8 first beat of this process (1/0: drop the
// rooms a previous process of the same node id left). Renews the caller's heartbeat, gives back the
// seats of expired claims, drops the rooms of dead nodes. Answers 1 if the
// heartbeat key existed (0: Redis lost it; publish the rooms again).
const luaBeat = luaCommon + `
local nk = nodeKey(me)
local existed = redis.call('EXISTS', nk)
if ARGV[8] == '1' then
  -- this process's first beat: rooms under its id are a previous
  -- process's (restarted with the same node id), which run nowhere
  local nr = P .. ':noderooms:' .. me
  for _, id in ipairs(redis.call('SMEMBERS', nr)) do
    dropRoom(id, redis.call('HGET', roomKey(id), 'name'), me)
  end
  redis.call('DEL', nr)
  existed = 0
end
redis.call('HSET', nk, 'url', ARGV[3], 'cap', ARGV[4], 'drain', ARGV[5])
redis.call('PEXPIRE', nk, tonumber(ARGV[6]))
redis.call('SADD', P .. ':nodes', me)
local toks = redis.call('ZRANGEBYSCORE', P .. ':claims', '-inf', nowMS(), 'LIMIT', 0, tonumber(ARGV[7]))
for _, tok in ipairs(toks) do
  local ck = P .. ':claim:' .. tok
  local id = redis.call('HGET', ck, 'room')
  redis.call('DEL', ck)
  redis.call('ZREM', P .. ':claims', tok)
  if id then
    local rk = roomKey(id)
    local v = redis.call('HMGET', rk, 'node', 'seats', 'max', 'name', 'created', 'pend', 'l', 'locked', 'private')
    if v[1] then
      local seats = math.max(0, tonumber(v[2]) - 1)
      local pend = math.max(0, tonumber(v[6]) - 1)
      redis.call('HSET', rk, 'seats', seats, 'pend', pend)
      if seats == 0 and v[7] == '' then
        -- created for a claim nobody made: it never ran
        dropRoom(id, v[4], v[1])
      elseif seats < tonumber(v[3]) and v[8] ~= '1' and v[9] ~= '1' then
        redis.call('ZADD', P .. ':open:' .. v[4], score(v[5]), id)
      end
    end
  end
end
for _, n in ipairs(redis.call('SMEMBERS', P .. ':nodes')) do
  if redis.call('EXISTS', nodeKey(n)) == 0 then
    local nr = P .. ':noderooms:' .. n
    for _, id in ipairs(redis.call('SMEMBERS', nr)) do
      dropRoom(id, redis.call('HGET', roomKey(id), 'name'), n)
    end
    redis.call('DEL', nr)
    redis.call('SREM', P .. ':nodes', n)
  end
end
return existed
`

// luaDeregister: the caller leaves the cluster (after its rooms are
// gone): its rooms and heartbeat are dropped.
const luaDeregister = luaCommon + `
local nr = P .. ':noderooms:' .. me
for _, id in ipairs(redis.call('SMEMBERS', nr)) do
  dropRoom(id, redis.call('HGET', roomKey(id), 'name'), me)
end
redis.call('DEL', nr)
redis.call('DEL', nodeKey(me))
redis.call('SREM', P .. ':nodes', me)
return 1
`

// luaList: the listings of every live node's listed rooms, oldest
// first; ARGV 3: one room id for a Get ("" for all).
const luaList = luaCommon + `
local ids
if ARGV[3] ~= '' then ids = {ARGV[3]} else ids = redis.call('ZRANGE', P .. ':rooms', 0, -1) end
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('HMGET', roomKey(id), 'node', 'l')
  if v[1] and v[2] and v[2] ~= '' and nodeAlive(v[1]) then out[#out + 1] = v[2] end
end
return out
`

// luaNodeURL: ARGV 3 node id. The node's URL, or false if it is not live.
const luaNodeURL = luaCommon + `
return redis.call('HGET', nodeKey(ARGV[3]), 'url')
`

// scripts are the compiled scripts (EVALSHA, EVAL once after a Redis
// restart forgot them).
type scripts struct {
	reserve, cancel, claim, release, disposeIfEmpty, remove, put, republish, beat, deregister, list, nodeURL *redis.Script
}

func newScripts() *scripts {
	return &scripts{
		reserve: redis.NewScript(luaReserve), cancel: redis.NewScript(luaCancel), claim: redis.NewScript(luaClaim),
		release: redis.NewScript(luaRelease), disposeIfEmpty: redis.NewScript(luaDisposeIfEmpty),
		remove: redis.NewScript(luaRemove), put: redis.NewScript(luaPut), republish: redis.NewScript(luaRepublish),
		beat: redis.NewScript(luaBeat), deregister: redis.NewScript(luaDeregister), list: redis.NewScript(luaList),
		nodeURL: redis.NewScript(luaNodeURL),
	}
}
