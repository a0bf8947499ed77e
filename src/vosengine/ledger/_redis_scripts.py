"""The server-side half of :class:`~vosengine.ledger.RedisLedger`: one Lua script per operation
that checks and changes money, each run whole by Redis (no other command runs in between).

Amounts are integers of the ledger's quantum (10^-decimals), kept as decimal strings written
with ``%.0f``: Lua's numbers are doubles, exact up to 2^53, so every result is checked to stay
within ±(2^53 - 1) and refused (``VOSRANGE``) before anything is written. Errors are replies
whose first word names them (``VOSNOACCOUNT``, ``VOSEXISTS``, ``VOSFUNDS <available>``,
``VOSNORESERVATION``, ``VOSRANGE``); the Python side turns each into the library's error.

Keys, all under the ledger's prefix ``P``:

- ``P a:<account>``: hash of ``b`` balance, ``l`` credit limit, ``r`` reserved, ``o`` overdraft
  action, ``w`` low-balance threshold (absent: none), ``d`` what drained records moved;
- ``P rec``: every record not drained yet (JSON, oldest first); ``P rec:<account>``: its own;
- ``P rid`` and ``P hid``: the record and reservation id counters;
- ``P k:<key>``: an idempotency key: the request it stood for, a newline, its result; it
  expires after the ledger's key retention;
- ``P h:<id>``: an open reservation (``a`` account, ``m`` amount, ``c`` call id, ``t`` at);
  ``P hs:<account>``: its open reservations by deadline (ms, Redis' clock); ``P hs``: all
  open reservation ids;
- ``P ev``: events not drained yet (JSON).
"""

from __future__ import annotations

__all__: list[str] = []

# ARGV[1] is the prefix, ARGV[2] the business time of the operation (ISO 8601); an operation's
# own arguments follow from ARGV[3]
PRELUDE = r"""
local P = ARGV[1]
local AT = ARGV[2]
local MAX = 9007199254740991

local function fmt(x) return string.format('%.0f', x) end

local function num(text)
  local x = tonumber(text)
  if x == nil or x ~= math.floor(x) or x > MAX or x < -MAX then
    error({err = 'VOSRANGE ' .. tostring(text)})
  end
  return x
end

local function checked(x)
  if x > MAX or x < -MAX then error({err = 'VOSRANGE ' .. fmt(x)}) end
  return x
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function event(kind, id, available, fields)
  fields.kind = kind
  fields.account = id
  fields.available = fmt(available)
  fields.at = AT
  if AT == '' then fields.ms = fmt(now_ms()) end  -- a read: no business time came with it
  redis.call('RPUSH', P .. 'ev', cjson.encode(fields))
end

local function avail(s) return s.b + s.l - s.r end

local function save(s)
  redis.call('HSET', s.k, 'b', fmt(s.b), 'l', fmt(s.l), 'r', fmt(s.r))
end

-- free the account's holds whose deadline has passed (their node is gone)
local function expire(s)
  local zkey = P .. 'hs:' .. s.id
  local due = redis.call('ZRANGEBYSCORE', zkey, '-inf', now_ms())
  for _, hid in ipairs(due) do
    local hold = redis.call('HMGET', P .. 'h:' .. hid, 'm', 'c')
    if hold[1] then
      s.r = s.r - num(hold[1])
      event('hold_expired', s.id, s.b + s.l - s.r, {hold = hid, call = hold[2], amount = hold[1]})
    end
    redis.call('DEL', P .. 'h:' .. hid)
    redis.call('SREM', P .. 'hs', hid)
  end
  if #due > 0 then
    redis.call('ZREM', zkey, unpack(due))
    redis.call('HSET', s.k, 'r', fmt(s.r))
  end
end

local function account(id)
  local k = P .. 'a:' .. id
  local v = redis.call('HMGET', k, 'b', 'l', 'r', 'o', 'w')
  if not v[1] then error({err = 'VOSNOACCOUNT'}) end
  local s = {k = k, id = id, b = num(v[1]), l = num(v[2]), r = num(v[3]), o = v[4]}
  if v[5] then s.w = num(v[5]) end
  expire(s)
  return s
end

local function watch(s, before)
  if s.w ~= nil then
    local after = avail(s)
    if after < s.w and s.w <= before then
      event('low_balance', s.id, after, {threshold = fmt(s.w)})
    end
  end
end

local function record(kind, s, amount, actor, memo, key)
  local id = redis.call('INCR', P .. 'rid')
  local text = cjson.encode({
    id = id, kind = kind, account = s.id, amount = fmt(amount), after = fmt(s.b),
    actor = actor, memo = memo, at = AT, key = key,
  })
  redis.call('RPUSH', P .. 'rec', text)
  redis.call('RPUSH', P .. 'rec:' .. s.id, text)
  return text
end

-- an idempotency key seen before: its request and result, else nil
local function replay(key)
  if key == '' then return nil end
  return redis.call('GET', P .. 'k:' .. key)
end

local function remember(key, request, result, retention)
  redis.call('SET', P .. 'k:' .. key, request .. '\n' .. result, 'PX', retention)
end

local function hold(s, amount, call)
  local before = avail(s)
  if amount > before then
    local fields = {call = call, amount = fmt(amount)}
    if s.o == 'warn' then
      event('overdraft_warning', s.id, before, fields)
    else
      event(s.o == 'suspend' and 'suspend_account' or 'call_blocked', s.id, before, fields)
      error({err = 'VOSFUNDS ' .. fmt(before)})
    end
  end
  return before
end

local function open_hold(hid)
  local h = redis.call('HMGET', P .. 'h:' .. hid, 'a', 'm', 'c', 't')
  if not h[1] then error({err = 'VOSNORESERVATION'}) end
  local s = account(h[1])  -- expires the account's overdue holds: this one may be among them
  if redis.call('EXISTS', P .. 'h:' .. hid) == 0 then error({err = 'VOSNORESERVATION'}) end
  return s, {id = hid, m = num(h[2]), c = h[3], t = h[4]}
end

local function close_hold(s, h)
  redis.call('DEL', P .. 'h:' .. h.id)
  redis.call('ZREM', P .. 'hs:' .. s.id, h.id)
  redis.call('SREM', P .. 'hs', h.id)
  s.r = s.r - h.m
end

local function hold_json(s, h)
  return cjson.encode({id = h.id, account = s.id, amount = fmt(h.m), call = h.c, at = h.t})
end
"""

# ARGV: id, credit limit, overdraft action, low-balance threshold ('' for none)
OPEN = r"""
local k = P .. 'a:' .. ARGV[3]
if redis.call('EXISTS', k) == 1 then return redis.error_reply('VOSEXISTS') end
local fields = {'b', '0', 'l', fmt(num(ARGV[4])), 'r', '0', 'o', ARGV[5], 'd', '0'}
if ARGV[6] ~= '' then
  table.insert(fields, 'w')
  table.insert(fields, fmt(num(ARGV[6])))
end
redis.call('HSET', k, unpack(fields))
return {'0', ARGV[4], '0'}
"""

# ARGV: id -> balance, credit limit, reserved
READ = r"""
local s = account(ARGV[3])
return {fmt(s.b), fmt(s.l), fmt(s.r)}
"""

# ARGV: kind, id, delta, require funds ('1'/'0'), key, request, actor, memo, retention ms
MOVE = r"""
local done = replay(ARGV[7])
if done then return {'replay', done} end
local s = account(ARGV[4])
local delta = num(ARGV[5])
if ARGV[6] == '1' and delta < 0 and avail(s) + delta < 0 then
  return redis.error_reply('VOSFUNDS ' .. fmt(avail(s)))
end
local before = avail(s)
s.b = checked(s.b + delta)
checked(avail(s))
save(s)
watch(s, before)
local out = record(ARGV[3], s, delta, ARGV[9], ARGV[10], ARGV[7])
remember(ARGV[7], ARGV[8], out, ARGV[11])
return {'done', out}
"""

# ARGV: source, target, amount, key, request, actor, memo, retention ms
TRANSFER = r"""
local done = replay(ARGV[6])
if done then return {'replay', done} end
local src, dst = account(ARGV[3]), account(ARGV[4])
local amount = num(ARGV[5])
if avail(src) < amount then return redis.error_reply('VOSFUNDS ' .. fmt(avail(src))) end
local before = avail(src)
src.b = checked(src.b - amount)
dst.b = checked(dst.b + amount)
checked(avail(dst))
save(src)
save(dst)
watch(src, before)
local out = cjson.encode({
  record('transfer_out', src, -amount, ARGV[8], ARGV[9], ARGV[6]),
  record('transfer_in', dst, amount, ARGV[8], ARGV[9], ARGV[6]),
})
remember(ARGV[6], ARGV[7], out, ARGV[10])
return {'done', out}
"""

# ARGV: id, limit, key, request, actor, memo, retention ms
LIMIT = r"""
local done = replay(ARGV[5])
if done then return {'replay', done} end
local s = account(ARGV[3])
local before = avail(s)
s.l = num(ARGV[4])
checked(avail(s))
save(s)
watch(s, before)
local out = record('credit_limit', s, s.l, ARGV[7], ARGV[8], ARGV[5])
remember(ARGV[5], ARGV[6], out, ARGV[9])
return {'done', out}
"""

# ARGV: id, amount, call id, hold ttl ms
RESERVE = r"""
local s = account(ARGV[3])
local amount = num(ARGV[4])
local before = hold(s, amount, ARGV[5])
local hid = tostring(redis.call('INCR', P .. 'hid'))
local h = {id = hid, m = amount, c = ARGV[5], t = AT}
s.r = checked(s.r + amount)
save(s)
redis.call('HSET', P .. 'h:' .. hid, 'a', s.id, 'm', fmt(amount), 'c', ARGV[5], 't', AT)
redis.call('ZADD', P .. 'hs:' .. s.id, now_ms() + tonumber(ARGV[6]), hid)
redis.call('SADD', P .. 'hs', hid)
watch(s, before)
return hold_json(s, h)
"""

# ARGV: reservation id, amount, hold ttl ms
GROW = r"""
local s, h = open_hold(ARGV[3])
local amount = num(ARGV[4])
local before = hold(s, amount, h.c)
h.m = checked(h.m + amount)
s.r = checked(s.r + amount)
save(s)
redis.call('HSET', P .. 'h:' .. h.id, 'm', fmt(h.m))
redis.call('ZADD', P .. 'hs:' .. s.id, now_ms() + tonumber(ARGV[5]), h.id)
watch(s, before)
return hold_json(s, h)
"""

# ARGV: reservation id, charge
SETTLE = r"""
local s, h = open_hold(ARGV[3])
local charge = num(ARGV[4])
close_hold(s, h)
s.b = checked(s.b - charge)
save(s)
watch(s, avail(s) + charge)
return record('call', s, -charge, 'system', h.c, '')
"""

# ARGV: reservation id
RELEASE = r"""
local s, h = open_hold(ARGV[3])
close_hold(s, h)
save(s)
return 'OK'
"""

# ARGV: reservation id, key, request, retention ms, then account id and charge pairs (the first
# the reservation's own account)
SETTLE_CALL = r"""
local done = replay(ARGV[4])
if done then return {'replay', done} end
local s, h = open_hold(ARGV[3])
if ARGV[7] ~= s.id then return redis.error_reply('VOSNOTOWN ' .. s.id) end
local agents = {}
for i = 9, #ARGV, 2 do
  table.insert(agents, {account(ARGV[i]), num(ARGV[i + 1])})
end
-- everything checked: apply it all
local out = {}
local charge = num(ARGV[8])
close_hold(s, h)
s.b = checked(s.b - charge)
save(s)
watch(s, avail(s) + charge)
if charge ~= 0 then table.insert(out, record('call', s, -charge, 'system', h.c, ARGV[4])) end
for _, pair in ipairs(agents) do
  local a, amount = pair[1], pair[2]
  if amount ~= 0 then
    local before = avail(a)
    a.b = checked(a.b - amount)
    save(a)
    watch(a, before)
    table.insert(out, record('call', a, -amount, 'system', h.c, ARGV[4]))
  end
end
local text = '[' .. table.concat(out, ',') .. ']'
remember(ARGV[4], ARGV[5], text, ARGV[6])
return {'done', text}
"""

# ARGV: retention ms, then per posting: account, amount, key, request, actor label, memo
ADJUST_MANY = r"""
local retention = ARGV[3]
local plan = {}
for i = 4, #ARGV, 6 do
  local done = replay(ARGV[i + 2])
  table.insert(plan, {id = ARGV[i], amount = num(ARGV[i + 1]), key = ARGV[i + 2],
    request = ARGV[i + 3], actor = ARGV[i + 4], memo = ARGV[i + 5], done = done})
end
-- check everything: accounts exist, a key seen before stands for the same request
local states = {}
local seen = {}
for _, p in ipairs(plan) do
  if states[p.id] == nil then states[p.id] = account(p.id) end
  local first = seen[p.key]
  if p.done then first = string.match(p.done, '^[^\n]*') end
  if first ~= nil and first ~= p.request then
    return redis.error_reply('VOSCONFLICT ' .. cjson.encode({p.key, first}))
  end
  seen[p.key] = p.request
end
-- then apply it all
local out = {}
for _, p in ipairs(plan) do
  local done = replay(p.key)
  if done then
    table.insert(out, string.sub(done, string.len(p.request) + 2))
  else
    local s = states[p.id]
    local before = avail(s)
    s.b = checked(s.b + p.amount)
    save(s)
    watch(s, before)
    local text = record('adjust', s, p.amount, p.actor, p.memo, p.key)
    remember(p.key, p.request, text, retention)
    table.insert(out, text)
  end
end
return '[' .. table.concat(out, ',') .. ']'
"""

# ARGV: [account id] -> the open holds (of that account, its overdue ones freed first)
HOLDS = r"""
local ids
if ARGV[3] then
  if redis.call('EXISTS', P .. 'a:' .. ARGV[3]) == 0 then return {} end  -- none, as in memory
  ids = redis.call('ZRANGE', P .. 'hs:' .. account(ARGV[3]).id, 0, -1)
else
  ids = redis.call('SMEMBERS', P .. 'hs')
end
local out = {}
for _, hid in ipairs(ids) do
  local h = redis.call('HMGET', P .. 'h:' .. hid, 'a', 'm', 'c', 't')
  if h[1] then
    local data = {id = hid, account = h[1], amount = h[2], call = h[3], at = h[4]}
    table.insert(out, cjson.encode(data))
  end
end
return out
"""

# ARGV: (none) -> every record, emptied; each account's drained sum moves
DRAIN_RECORDS = r"""
local all = redis.call('LRANGE', P .. 'rec', 0, -1)
local moved = {}
for _, text in ipairs(all) do
  local r = cjson.decode(text)
  if r.kind ~= 'credit_limit' then
    moved[r.account] = (moved[r.account] or 0) + num(r.amount)
  end
end
for id, amount in pairs(moved) do
  local k = P .. 'a:' .. id
  redis.call('HSET', k, 'd', fmt(num(redis.call('HGET', k, 'd')) + amount))
  redis.call('DEL', P .. 'rec:' .. id)
end
redis.call('DEL', P .. 'rec')
return all
"""

DRAIN_EVENTS = r"""
local all = redis.call('LRANGE', P .. 'ev', 0, -1)
redis.call('DEL', P .. 'ev')
return all
"""
