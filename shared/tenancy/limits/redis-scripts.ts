import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the Redis limiter. Each runs atomically on the server (EVALSHA), so a check
 * and the writes it allows cannot interleave with another replica's. The memory limiter
 * (`memory-limiter.ts`) is the same algorithm step for step.
 *
 * Per scope (base key `<prefix>:{<kind>:<id>}`):
 *   :rq   sorted set, one member per admission, score = its time (ms)
 *   :tk   sorted set of token entries, score = time; `r:<lease>` the lease's reservation,
 *         `u:<lease>:<n>` one settled model call
 *   :tka  hash, token entry → tokens;   :tks  their running sum
 *   :cc   sorted set of live leases, score = the lease's end (ms)
 * Per lease `<prefix>:lease:<leaseId>`: hash n, s1..sn (scope bases), res (reservation left),
 *   used, exp (end), rel (released 0/1).
 * An entry counts while its time > now − window; a lease while its end > now. Keys carry expiries
 * so idle scopes vanish. One Redis node (or a primary with replicas): the scripts touch keys of
 * several scopes, which Redis Cluster would need in one slot.
 */

export interface Script {
  lua: string;
  sha: string;
}

const script = (body: string): Script => {
  const lua = PRELUDE + body;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
};

/** ARGV[1] now ('' = the server's clock), ARGV[2] window ms. */
const PRELUDE = `
local W = tonumber(ARGV[2])
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
local GRACE = 60000

local function chunks(list, fn)
  local i = 1
  while i <= #list do
    local c = {}
    for j = i, math.min(i + 999, #list) do c[#c + 1] = list[j] end
    fn(c)
    i = i + 1000
  end
end

local function keep(key, ms)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 or (ttl >= 0 and ttl < ms) then redis.call('PEXPIRE', key, ms) end
end

local function prune(b)
  redis.call('ZREMRANGEBYSCORE', b .. ':rq', '-inf', now - W)
  local old = redis.call('ZRANGEBYSCORE', b .. ':tk', '-inf', now - W)
  if #old > 0 then
    local freed = 0
    chunks(old, function(c)
      local a = redis.call('HMGET', b .. ':tka', unpack(c))
      for j = 1, #a do freed = freed + (tonumber(a[j]) or 0) end
      redis.call('HDEL', b .. ':tka', unpack(c))
      redis.call('ZREM', b .. ':tk', unpack(c))
    end)
    redis.call('DECRBY', b .. ':tks', freed)
  end
  redis.call('ZREMRANGEBYSCORE', b .. ':cc', '-inf', now)
end

local function add_tokens(b, id, amount)
  redis.call('ZADD', b .. ':tk', now, id)
  redis.call('HSET', b .. ':tka', id, amount)
  redis.call('INCRBY', b .. ':tks', amount)
  keep(b .. ':tk', W + 1000)
  keep(b .. ':tka', W + 1000)
  keep(b .. ':tks', W + 1000)
end

-- takes up to amount (or all when amount is nil) off a token entry; removes it at 0
local function shrink(b, id, amount)
  local held = tonumber(redis.call('HGET', b .. ':tka', id))
  if not held then return end
  local take = held
  if amount and amount < held then take = amount end
  redis.call('DECRBY', b .. ':tks', take)
  if held - take > 0 then
    redis.call('HSET', b .. ':tka', id, held - take)
  else
    redis.call('HDEL', b .. ':tka', id)
    redis.call('ZREM', b .. ':tk', id)
  end
end

local function bases_of(lease)
  local n = tonumber(redis.call('HGET', lease, 'n')) or 0
  local out = {}
  for i = 1, n do out[i] = redis.call('HGET', lease, 's' .. i) end
  return out
end

local function release_lease(lease, id)
  for _, b in ipairs(bases_of(lease)) do
    prune(b)
    redis.call('ZREM', b .. ':cc', id)
    shrink(b, 'r:' .. id, nil)
  end
  redis.call('HSET', lease, 'res', 0, 'rel', 1)
  redis.call('PEXPIRE', lease, W + GRACE)
end

local function first_score(key)
  local e = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #e == 0 then return -1 end
  return tonumber(e[2])
end

local function snapshot(out, b)
  out[#out + 1] = redis.call('ZCARD', b .. ':rq')
  out[#out + 1] = first_score(b .. ':rq')
  out[#out + 1] = tonumber(redis.call('GET', b .. ':tks') or '0')
  out[#out + 1] = first_score(b .. ':tk')
  out[#out + 1] = redis.call('ZCARD', b .. ':cc')
  out[#out + 1] = first_score(b .. ':cc')
end
`;

/**
 * KEYS[1] the lease. ARGV: now, window, leaseMs, tokens, leaseId, nonce, n, then per scope
 * base, rpm, tpm, concurrency (-1 = unlimited).
 * Returns {status (1 admitted, 2 already admitted, 0 refused), now, scope index (1-based),
 * limit code, retry ms, exceeds quota (0/1), then 6 numbers per scope (see snapshot)}.
 */
export const ADMIT = script(`
local lease = KEYS[1]
local leaseMs = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local id = ARGV[5]
local nonce = ARGV[6]
local n = tonumber(ARGV[7])
local bases, lim = {}, {}
for i = 1, n do
  local o = 7 + (i - 1) * 4
  bases[i] = ARGV[o + 1]
  lim[i] = { tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]) }
end
for i = 1, n do prune(bases[i]) end

local function result(status, ri, rl, rms, rex)
  local out = { status, now, ri, rl, rms, rex }
  for i = 1, n do snapshot(out, bases[i]) end
  return out
end

local rec = redis.call('HMGET', lease, 'rel', 'exp')
if rec[1] then
  if rec[1] == '0' and tonumber(rec[2]) > now then return result(2, 0, 0, 0, 0) end
  release_lease(lease, id)
end

local ri, rl, rms, rex = 0, 0, -1, 0
local function refuse(i, l, ms, ex)
  if ri == 0 or (ex ~= rex and ex == 1) or (ex == rex and ms > rms) then
    ri, rl, rms, rex = i, l, ms, ex
  end
end

for i = 1, n do
  local b = bases[i]
  local r, q, m = lim[i][1], lim[i][2], lim[i][3]
  if r >= 0 then
    local c = redis.call('ZCARD', b .. ':rq')
    if c + 1 > r then
      if r == 0 then refuse(i, 1, W, 1) else
        local e = redis.call('ZRANGE', b .. ':rq', c - r, c - r, 'WITHSCORES')
        refuse(i, 1, tonumber(e[2]) + W - now, 0)
      end
    end
  end
  if q >= 0 then
    local s = tonumber(redis.call('GET', b .. ':tks') or '0')
    if s + tokens > q then
      if tokens > q then refuse(i, 2, W, 1) else
        local need, freed, at, start = s + tokens - q, 0, now, 0
        local found = false
        while not found do
          local e = redis.call('ZRANGE', b .. ':tk', start, start + 99, 'WITHSCORES')
          if #e == 0 then break end
          local ids = {}
          for j = 1, #e, 2 do ids[#ids + 1] = e[j] end
          local a = redis.call('HMGET', b .. ':tka', unpack(ids))
          for j = 1, #ids do
            freed = freed + (tonumber(a[j]) or 0)
            if freed >= need then at = tonumber(e[2 * j]); found = true; break end
          end
          start = start + 100
        end
        refuse(i, 2, at + W - now, 0)
      end
    end
  end
  if m >= 0 then
    local c = redis.call('ZCARD', b .. ':cc')
    if c + 1 > m then
      if m == 0 then refuse(i, 3, W, 1) else
        local e = redis.call('ZRANGE', b .. ':cc', c - m, c - m, 'WITHSCORES')
        refuse(i, 3, tonumber(e[2]) - now, 0)
      end
    end
  end
end
if ri > 0 then return result(0, ri, rl, rms, rex) end

local ends = now + leaseMs
for i = 1, n do
  local b = bases[i]
  redis.call('ZADD', b .. ':rq', now, nonce)
  keep(b .. ':rq', W + 1000)
  redis.call('ZADD', b .. ':cc', ends, id)
  keep(b .. ':cc', leaseMs + 1000)
  if tokens > 0 then add_tokens(b, 'r:' .. id, tokens) end
end
redis.call('DEL', lease)
redis.call('HSET', lease, 'n', n, 'res', tokens, 'used', 0, 'exp', ends, 'rel', 0)
for i = 1, n do redis.call('HSET', lease, 's' .. i, bases[i]) end
redis.call('PEXPIRE', lease, leaseMs + W + GRACE)
return result(1, 0, 0, 0, 0)
`);

/** KEYS[1] the lease. ARGV: now, window, leaseId, actual tokens, nonce. Returns 1, or 0 when unknown. */
export const SETTLE = script(`
local lease, id, actual, nonce = KEYS[1], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local res = tonumber(redis.call('HGET', lease, 'res'))
if not res then return 0 end
local converted = math.min(actual, res)
-- (a negative zero would reach Redis as '-0', which it refuses as an integer)
if converted > 0 then redis.call('HINCRBY', lease, 'res', 0 - converted) end
redis.call('HINCRBY', lease, 'used', actual)
for _, b in ipairs(bases_of(lease)) do
  prune(b)
  if converted > 0 then shrink(b, 'r:' .. id, converted) end
  if actual > 0 then add_tokens(b, 'u:' .. id .. ':' .. nonce, actual) end
end
return 1
`);

/** KEYS[1] the lease. ARGV: now, window, leaseId. Returns 1, or 0 when unknown. */
export const RELEASE = script(`
local lease, id = KEYS[1], ARGV[3]
local rel = redis.call('HGET', lease, 'rel')
if not rel then return 0 end
if rel == '0' then release_lease(lease, id) end
return 1
`);

/** ARGV: now, window, base. Returns {requests, tokens, concurrent}. */
export const STATE = script(`
local b = ARGV[3]
prune(b)
return { redis.call('ZCARD', b .. ':rq'), tonumber(redis.call('GET', b .. ':tks') or '0'),
  redis.call('ZCARD', b .. ':cc') }
`);
