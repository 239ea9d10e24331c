'use strict';
// Interoperability test: the official @azure/web-pubsub SDK and libawps (through
// the awps command-line tool) perform the same operations against the same mock
// service; the requests the mock recorded are compared one by one: method, path,
// query, content type, body, and the bearer token (signed with the key, audience
// = the request URL, on both sides). Results (true/false, list items, errors,
// client access tokens) are compared too.
//
//   node sdk-requests.js PORT KEY LOG [AWPS-COMMAND...]
//
// PORT: the mock's port; KEY: its access key; LOG: its JSON-lines request log;
// AWPS-COMMAND: how to run awps (e.g. "libtool --mode=execute valgrind ... awps"),
// default "awps". Prints one line per operation and "N passed, N failed";
// exits 1 on any failure. Run by tests/interop/run.sh.
const fs = require('fs');
const crypto = require('crypto');
const { spawnSync } = require('child_process');
const { WebPubSubServiceClient, AzureKeyCredential } = require('@azure/web-pubsub');

const [port, key, logPath, ...awpsCmd] = process.argv.slice(2);
if (!port || !key || !logPath) {
  console.error('usage: node sdk-requests.js PORT KEY LOG [AWPS-COMMAND...]');
  process.exit(2);
}
if (awpsCmd.length === 0) awpsCmd.push('awps');

const HUB = 'hub1';
const ENDPOINT = `http://127.0.0.1:${port}`;
const CONN = `Endpoint=${ENDPOINT};AccessKey=${key};Version=1.0;`;
// Not contacted: with a reverse proxy only the proxy's host is.
const FAR = 'http://service.invalid';
const BINARY = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0a, 0x0d, 0x7f]);

// ---- the operations: the SDK call and the awps command line of each --------

const text = { contentType: 'text/plain' };

// Scripted answers of the mock (POST /_mock/script), queued before each side.
function serviceError(status, code, message) {
  return {
    status,
    content_type: 'application/json; charset=utf-8',
    headers: { 'x-ms-error-code': code },
    body: JSON.stringify({ code, message, target: 'Connection', details: null, inner: null }),
  };
}
const MEMBERS = [{ connectionId: 'c1', userId: 'u1' }, { connectionId: 'c2', userId: null },
  { connectionId: 'c3' }, { connectionId: 'c"4', userId: 'é/' }];
// A page of group members; `next`: the query of the nextLink.
function page(members, next) {
  const body = { value: members };
  if (next) {
    body.nextLink = `{{base}}/api/hubs/${HUB}/groups/group1/connections?${next}`
      + '&api-version=2024-12-01';
  }
  return { status: 200, content_type: 'application/json', body: JSON.stringify(body) };
}
const W = (v) => ({ kind: 'value', value: v });

const ops = [
  // send: JSON (objects, a string, a number), text, binary; filter, excluded, ttl
  ['sendToAll json object', (c) => c.sendToAll({ x: 1, y: 2 }),
    ['send', '--all', '--json', '{"x":1,"y":2}']],
  ['sendToAll json string', (c) => c.sendToAll('hello'),
    ['send', '--all', '--json', '"hello"']],
  ['sendToAll json number', (c) => c.sendToAll(42),
    ['send', '--all', '--json', '42']],
  ['sendToAll text filter excluded ttl', (c) => c.sendToAll('hello', {
    ...text, excludedConnections: ['conn1', 'conn 2'], filter: "userId ne 'user1'",
    messageTtlSeconds: 60,
  }), ['send', '--all', '--text', 'hello', '--exclude', 'conn1', '--exclude', 'conn 2',
    '--filter', "userId ne 'user1'", '--ttl', '60']],
  ['sendToAll binary', (c) => c.sendToAll(BINARY),
    ['send', '--all', '--binary', '-'], BINARY],
  ['sendToAll binary stdin', (c) => c.sendToAll(new Uint8Array([1, 2, 3])),
    ['send', '--all'], Buffer.from([1, 2, 3])],
  ['sendToAll text unicode', (c) => c.sendToAll('héllo 世界 "q" \\', text),
    ['send', '--all', '--text', 'héllo 世界 "q" \\']],
  ['sendToUser text filter ttl', (c) => c.sendToUser('user/1 é', 'hi', {
    ...text, filter: "'a''b' in groups", messageTtlSeconds: 10,
  }), ['send', '--user', 'user/1 é', '--text', 'hi', '--filter', "'a''b' in groups",
    '--ttl', '10']],
  ['sendToUser json', (c) => c.sendToUser("a b/c?d#e'f(g)*!~", { m: 'héllo', n: [1, null] }),
    ['send', '--user', "a b/c?d#e'f(g)*!~", '--json', '{"m":"héllo","n":[1,null]}']],
  ['sendToConnection json ttl', (c) => c.sendToConnection('conn1', { a: 'b' },
    { messageTtlSeconds: 300 }),
  ['send', '--connection', 'conn1', '--json', '{"a":"b"}', '--ttl', '300']],
  ['sendToConnection binary', (c) => c.sendToConnection('conn1', BINARY),
    ['send', '--connection', 'conn1'], BINARY],
  ['group sendToAll text filter excluded ttl', (c) => c.group('group1').sendToAll('hello', {
    ...text, excludedConnections: ['c1'], filter: "userId eq 'u'", messageTtlSeconds: 1,
  }), ['send', '--group', 'group1', '--text', 'hello', '--exclude', 'c1', '--filter',
    "userId eq 'u'", '--ttl', '1']],
  ['group sendToAll json', (c) => c.group('group 1').sendToAll({ k: [1, 2] }),
    ['send', '--group', 'group 1', '--json', '{"k":[1,2]}']],
  ['group sendToAll binary', (c) => c.group('g/ü').sendToAll(BINARY),
    ['send', '--group', 'g/ü', '--binary', '-'], BINARY],

  // existence: the mock answers 404 for ids starting with "missing"
  ['connectionExists true', (c) => c.connectionExists('conn1').then(W),
    ['exists', '--connection', 'conn1']],
  ['connectionExists false', (c) => c.connectionExists('missing1').then(W),
    ['exists', '--connection', 'missing1'], null, [{ status: 404 }]],
  ['connectionExists 500', (c) => c.connectionExists('conn1').then(W),
    ['exists', '--connection', 'conn1'], null, [{ status: 500 }]],
  ['userExists true', (c) => c.userExists('user 1').then(W),
    ['exists', '--user', 'user 1']],
  ['userExists false', (c) => c.userExists('missing-user').then(W),
    ['exists', '--user', 'missing-user'], null, [{ status: 404 }]],
  ['groupExists true', (c) => c.groupExists('group 1').then(W),
    ['exists', '--group', 'group 1']],
  ['groupExists false', (c) => c.groupExists('missing group').then(W),
    ['exists', '--group', 'missing group'], null, [{ status: 404 }]],

  // permissions
  ['hasPermission true', (c) => c.hasPermission('conn1', 'sendToGroup',
    { targetName: 'group1' }).then(W),
  ['permission', 'check', 'send-to-group', 'conn1', '--group', 'group1']],
  ['hasPermission false', (c) => c.hasPermission('missing1', 'joinLeaveGroup').then(W),
    ['permission', 'check', 'join-leave-group', 'missing1'], null, [{ status: 404 }]],
  ['grantPermission targetName', (c) => c.grantPermission('conn1', 'joinLeaveGroup',
    { targetName: 'group 1' }),
  ['permission', 'grant', 'join-leave-group', 'conn1', '--group', 'group 1']],
  ['grantPermission', (c) => c.grantPermission('conn1', 'sendToGroup'),
    ['permission', 'grant', 'sendToGroup', 'conn1']],
  ['revokePermission targetName', (c) => c.revokePermission('conn1', 'sendToGroup',
    { targetName: 'group1' }),
  ['permission', 'revoke', 'send-to-group', 'conn1', '--group', 'group1']],
  ['revokePermission', (c) => c.revokePermission('conn1', 'joinLeaveGroup'),
    ['permission', 'revoke', 'joinLeaveGroup', 'conn1']],

  // close (excluded is untyped on the close options of 1.2.0 but forwarded)
  ['closeConnection reason', (c) => c.closeConnection('conn1', { reason: 'bye now' }),
    ['close', '--connection', 'conn1', '--reason', 'bye now']],
  ['closeConnection', (c) => c.closeConnection('conn1'),
    ['close', '--connection', 'conn1']],
  ['closeAllConnections reason excluded', (c) => c.closeAllConnections(
    { reason: 'r', excluded: ['c1', 'c2'] }),
  ['close', '--all', '--reason', 'r', '--exclude', 'c1', '--exclude', 'c2']],
  ['closeAllConnections', (c) => c.closeAllConnections(), ['close', '--all']],
  ['closeUserConnections reason', (c) => c.closeUserConnections('user1', { reason: 'r' }),
    ['close', '--user', 'user1', '--reason', 'r']],
  ['closeUserConnections excluded', (c) => c.closeUserConnections('user 1',
    { excluded: ['c 1'] }),
  ['close', '--user', 'user 1', '--exclude', 'c 1']],
  ['group closeAllConnections reason', (c) => c.group('group1').closeAllConnections(
    { reason: 'r' }),
  ['close', '--group', 'group1', '--reason', 'r']],
  ['group closeAllConnections reason excluded', (c) => c.group('group1')
    .closeAllConnections({ reason: 'a&b=c', excluded: ['c1'] }),
  ['close', '--group', 'group1', '--reason', 'a&b=c', '--exclude', 'c1']],

  // groups
  ['removeUserFromAllGroups', (c) => c.removeUserFromAllGroups('user1'),
    ['leave-all', '--user', 'user1']],
  ['removeConnectionFromAllGroups', (c) => c.removeConnectionFromAllGroups('conn1'),
    ['leave-all', '--connection', 'conn1']],
  ['addConnectionsToGroups', (c) => c.addConnectionsToGroups(['group1', 'group2'],
    "userId eq 'user 1'"),
  ['groups', 'add', '--filter', "userId eq 'user 1'", 'group1', 'group2']],
  ['removeConnectionsFromGroups', (c) => c.removeConnectionsFromGroups(['group1'],
    "userId eq 'user 1'"),
  ['groups', 'remove', '--filter', "userId eq 'user 1'", 'group1']],
  ['group addConnection', (c) => c.group('group1').addConnection('conn1'),
    ['group', 'add-connection', 'group1', 'conn1']],
  ['group removeConnection', (c) => c.group('group1').removeConnection('conn1'),
    ['group', 'remove-connection', 'group1', 'conn1']],
  ['group addUser', (c) => c.group('group1').addUser('user1'),
    ['group', 'add-user', 'group1', 'user1']],
  ['group removeUser', (c) => c.group('group 1').removeUser('user 1'),
    ['group', 'remove-user', 'group 1', 'user 1']],

  // errors: 404 with the service's JSON error
  ['group addConnection 404', (c) => c.group('group1').addConnection('missing1'),
    ['group', 'add-connection', 'group1', 'missing1'], null,
    [serviceError(404, 'Error.Connection.NotExisted', 'Connection `missing1` is not found.')]],
  ['grantPermission 404', (c) => c.grantPermission('missing1', 'joinLeaveGroup',
    { targetName: 'x' }),
  ['permission', 'grant', 'join-leave-group', 'missing1', '--group', 'x'], null,
  [serviceError(404, 'Info.Connection.NotExisted', 'Connection `missing1` is not found.')]],
  ['sendToAll 400 problem+json', (c) => c.sendToAll('hello', { ...text, filter: 'invalid filter' }),
    ['send', '--all', '--text', 'hello', '--filter', 'invalid filter'], null, [{
      status: 400,
      content_type: 'application/problem+json; charset=utf-8',
      body: JSON.stringify({ code: 'Error.BadRequest', message: "Invalid syntax for 'invalid filter'",
        target: 'filter', errors: { filter: ['bad'] }, status: 400 }),
    }]],

  // paged listing (following nextLink)
  ['listConnections', (c) => list(c.group('group1'), {}),
    ['list-connections', 'group1'], null, [page(MEMBERS)]],
  ['listConnections empty', (c) => list(c.group('group 1'), {}),
    ['list-connections', 'group 1']],
  ['listConnections pages', (c) => list(c.group('group1'), { maxPageSize: 2 }),
    ['list-connections', 'group1', '--page-size', '2'], null,
    [page(MEMBERS.slice(0, 2), 'maxpagesize=2&continuationToken=c2'), page(MEMBERS.slice(2))]],
  ['listConnections top pages', (c) => list(c.group('group1'), { maxPageSize: 2, top: 3 }),
    ['list-connections', 'group1', '--page-size', '2', '--top', '3'], null,
    [page(MEMBERS.slice(0, 2), 'top=1&maxpagesize=2&continuationToken=c2'),
      page(MEMBERS.slice(2, 3))]],

  // client access tokens (no request; compared as results)
  ['getClientAccessToken', (c) => c.getClientAccessToken(), ['token']],
  ['getClientAccessToken full', (c) => c.getClientAccessToken({
    userId: 'user 1', roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup.g1'],
    groups: ['g1', 'g 2'], expirationTimeInMinutes: 5,
  }), ['token', '--user', 'user 1', '--role', 'webpubsub.joinLeaveGroup', '--role',
    'webpubsub.sendToGroup.g1', '--group', 'g1', '--group', 'g 2', '--minutes', '5']],
  ['getClientAccessToken mqtt', (c) => c.getClientAccessToken({
    userId: 'u', clientProtocol: 'mqtt', expirationTimeInMinutes: 1.5,
  }), ['token', '--user', 'u', '--protocol', 'mqtt', '--minutes', '1.5']],
  ['getClientAccessToken socketio', (c) => c.getClientAccessToken({
    clientProtocol: 'socketio',
  }), ['token', '--protocol', 'socketio']],
];

// With a reverse proxy: requests go to the mock, tokens name the endpoint.
const proxyOps = [
  ['reverse proxy sendToAll', (c) => c.sendToAll('hi', text),
    ['send', '--all', '--text', 'hi']],
  ['reverse proxy connectionExists', (c) => c.connectionExists('conn1').then(W),
    ['exists', '--connection', 'conn1']],
];

async function postScript(script) {
  const r = await fetch(`${ENDPOINT}/_mock/script`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(script),
  });
  if (!r.ok) throw new Error(`cannot script the mock: ${r.status} ${await r.text()}`);
}

async function list(group, options) {
  const items = [];
  for await (const m of await group.listConnections(options)) items.push(m);
  return { kind: 'list', value: items };
}

// ---- the mock's log ---------------------------------------------------------

function logLines() {
  let text;
  try {
    text = fs.readFileSync(logPath, 'utf8');
  } catch (e) {
    return [];
  }
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The log's entries from index `from` on, once the log has stopped growing
// (the mock may write the line just after it answered).
async function entriesSince(from) {
  let n = -1;
  let lines = logLines();
  for (let i = 0; i < 50 && lines.length !== n; i++) {
    n = lines.length;
    await sleep(20);
    lines = logLines();
  }
  return lines.slice(from);
}

function b64url(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

// {header, claims, ok} of a JWT; ok: the HS256 signature verifies with KEY.
function decodeJwt(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) return { header: null, claims: null, ok: false };
  const sig = crypto.createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${parts[0]}.${parts[1]}`).digest('base64url');
  let header = null;
  let claims = null;
  try {
    header = JSON.parse(b64url(parts[0]).toString('utf8'));
    claims = JSON.parse(b64url(parts[1]).toString('utf8'));
  } catch (e) { /* reported as a mismatch */ }
  return { header, claims, ok: sig === parts[2] };
}

// The parts of a log entry we compare.
function request(e) {
  let body = Buffer.alloc(0);
  if (typeof e.body_base64 === 'string') body = Buffer.from(e.body_base64, 'base64');
  else if (typeof e.body === 'string') body = Buffer.from(e.body, 'utf8');
  const auth = e.authorization || (e.headers && (e.headers.authorization
    || e.headers.Authorization)) || '';
  const jwt = auth.startsWith('Bearer ') ? decodeJwt(auth.slice(7)) : null;
  const aud = e.aud !== undefined ? e.aud : (jwt && jwt.claims ? jwt.claims.aud : null);
  return {
    method: e.method,
    path: e.path,
    query: e.query || '',
    contentType: e.content_type === undefined ? null : e.content_type,
    body,
    aud,
    tokenOk: e.token_ok !== undefined ? e.token_ok : (jwt ? jwt.ok : null),
  };
}

function show(r) {
  const b = r.body.toString('utf8');
  const body = Buffer.from(b, 'utf8').equals(r.body) ? JSON.stringify(b)
    : `<${r.body.toString('hex')}>`;
  return `${r.method} ${r.path}?${r.query} [${r.contentType}] ${body} aud=${r.aud}`;
}

// ---- results ----------------------------------------------------------------

function sdkResult(v) {
  if (v && v.kind === 'value') return { kind: 'bool', value: v.value };
  if (v && v.kind === 'list') {
    return { kind: 'list', value: v.value.map((m) => ({
      connectionId: m.connectionId, userId: m.userId === undefined ? null : m.userId })) };
  }
  if (v && typeof v.token === 'string') return { kind: 'token', value: v };
  return { kind: 'ok' };
}

function sdkError(e) {
  return { kind: 'error', status: e.statusCode, message: String(e.message || '') };
}

function cliResult(out, status, stderr, args) {
  if (status === 3) {
    const m = /HTTP (\d+)(?: \S+)?(?:: (.*))?$/m.exec(stderr);
    return { kind: 'error', status: m ? Number(m[1]) : null, message: m ? m[2] || '' : stderr };
  }
  if (args[0] === 'exists' || (args[0] === 'permission' && args[1] === 'check')) {
    const t = out.trim();
    if ((t === 'true' && status === 0) || (t === 'false' && status === 1)) {
      return { kind: 'bool', value: t === 'true' };
    }
    return { kind: 'bad', value: `exit ${status}, output ${JSON.stringify(out)}` };
  }
  if (status !== 0) return { kind: 'bad', value: `exit ${status}: ${stderr.trim()}` };
  if (args[0] === 'list-connections') {
    return { kind: 'list', value: out.split('\n').filter((l) => l !== '')
      .map((l) => JSON.parse(l)) };
  }
  if (args[0] === 'token') return { kind: 'token', value: JSON.parse(out) };
  return out === '' ? { kind: 'ok' } : { kind: 'bad', value: `output ${JSON.stringify(out)}` };
}

// Client access tokens: same URLs and claims but iat/exp (the clocks differ
// by a moment), same lifetime, both signed with the key.
function compareTokens(a, b, problems) {
  const ja = decodeJwt(a.token);
  const jb = decodeJwt(b.token);
  if (!ja.ok) problems.push('SDK token signature does not verify');
  if (!jb.ok) problems.push('awps token signature does not verify');
  if (a.baseUrl !== b.baseUrl) problems.push(`baseUrl ${a.baseUrl} vs ${b.baseUrl}`);
  if (b.url !== `${b.baseUrl}?access_token=${b.token}`) problems.push(`awps url ${b.url}`);
  if (a.url !== `${a.baseUrl}?access_token=${a.token}`) problems.push(`SDK url ${a.url}`);
  if (JSON.stringify(ja.header) !== JSON.stringify(jb.header)) {
    problems.push(`header ${JSON.stringify(ja.header)} vs ${JSON.stringify(jb.header)}`);
  }
  const strip = (c) => {
    const o = { ...c };
    delete o.iat;
    delete o.exp;
    return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
  };
  if (!ja.claims || !jb.claims) return;
  if (strip(ja.claims) !== strip(jb.claims)) {
    problems.push(`claims ${JSON.stringify(ja.claims)} vs ${JSON.stringify(jb.claims)}`);
  }
  if (ja.claims.exp - ja.claims.iat !== jb.claims.exp - jb.claims.iat) {
    problems.push(`lifetime ${ja.claims.exp - ja.claims.iat} vs ${jb.claims.exp - jb.claims.iat}`);
  }
}

function compareResults(a, b, problems) {
  if (a.kind !== b.kind) {
    problems.push(`result ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  } else if (a.kind === 'token') {
    compareTokens(a.value, b.value, problems);
  } else if (a.kind === 'error') {
    if (a.status !== b.status || a.message !== b.message) {
      problems.push(`error ${a.status} ${JSON.stringify(a.message)} vs `
        + `${b.status} ${JSON.stringify(b.message)}`);
    }
  } else if (JSON.stringify(a.value) !== JSON.stringify(b.value)) {
    problems.push(`result ${JSON.stringify(a.value)} vs ${JSON.stringify(b.value)}`);
  }
}

function compareRequests(sdk, ours, urlBase, problems) {
  if (sdk.length !== ours.length) {
    problems.push(`${sdk.length} SDK requests vs ${ours.length} awps requests`);
  }
  for (let i = 0; i < Math.max(sdk.length, ours.length); i++) {
    const a = sdk[i] ? request(sdk[i]) : null;
    const b = ours[i] ? request(ours[i]) : null;
    if (!a || !b) {
      problems.push(`request ${i}: ${a ? show(a) : '(none)'} vs ${b ? show(b) : '(none)'}`);
      continue;
    }
    for (const f of ['method', 'path', 'query', 'contentType']) {
      if (a[f] !== b[f]) problems.push(`request ${i} ${f}: ${a[f]} vs ${b[f]}`);
    }
    if (!a.body.equals(b.body)) problems.push(`request ${i} body: ${show(a)} vs ${show(b)}`);
    // the audience is the URL the client meant (the endpoint's, even through a
    // proxy): both sides must agree with it
    const url = `${urlBase}${a.path}${a.query ? `?${a.query}` : ''}`;
    if (a.aud !== url) problems.push(`request ${i}: SDK token aud ${a.aud}, URL ${url}`);
    if (b.aud !== `${urlBase}${b.path}${b.query ? `?${b.query}` : ''}`) {
      problems.push(`request ${i}: awps token aud ${b.aud}, URL ${urlBase}${b.path}?${b.query}`);
    }
    // (through the proxy the mock sees another URL than the audience)
    if (urlBase === ENDPOINT && a.tokenOk === false) {
      problems.push(`request ${i}: SDK token rejected by the mock`);
    }
    if (urlBase === ENDPOINT && b.tokenOk === false) {
      problems.push(`request ${i}: awps token rejected by the mock`);
    }
  }
}

// ---- main -------------------------------------------------------------------

function runAwps(args, input, extra) {
  const [cmd, ...pre] = awpsCmd;
  const env = { ...process.env, WEBPUBSUB_CONNECTION_STRING: extra.conn, WEBPUBSUB_HUB: HUB };
  const r = spawnSync(cmd, [...pre, ...args, '--retries', '0', ...extra.args],
    { input: input || Buffer.alloc(0), env, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { out: r.stdout.toString('utf8'), status: r.status, err: r.stderr.toString('utf8') };
}

async function main() {
  // plain http to the mock; no retries on either side (awps: --retries 0)
  const common = { retryOptions: { maxRetries: 0 }, allowInsecureConnection: true };
  const direct = new WebPubSubServiceClient(CONN, HUB, common);
  const proxied = new WebPubSubServiceClient(FAR, new AzureKeyCredential(key), HUB,
    { ...common, reverseProxyEndpoint: ENDPOINT });
  const sides = [
    { ops, client: direct, urlBase: ENDPOINT, cli: { conn: CONN, args: [] } },
    { ops: proxyOps, client: proxied, urlBase: FAR,
      cli: { conn: `Endpoint=${FAR};AccessKey=${key};Version=1.0;`,
        args: ['--reverse-proxy', ENDPOINT] } },
  ];
  let passed = 0;
  let failed = 0;
  for (const side of sides) {
    for (const [name, sdkOp, args, input, script] of side.ops) {
      const problems = [];
      let mark = (await entriesSince(0)).length;
      let a;
      if (script) await postScript(script);
      try {
        a = sdkResult(await sdkOp(side.client));
      } catch (e) {
        a = e.statusCode ? sdkError(e) : { kind: 'bad', value: String(e) };
      }
      const sdkReqs = await entriesSince(mark);
      mark += sdkReqs.length;
      if (script) await postScript(script);
      const r = runAwps(args, input, side.cli);
      const b = cliResult(r.out, r.status, r.err, args);
      const ourReqs = await entriesSince(mark);
      if (a.kind === 'bad') problems.push(`SDK failed: ${a.value}`);
      if (b.kind === 'bad') problems.push(`awps failed: ${b.value}`);
      if (a.kind !== 'bad' && b.kind !== 'bad') compareResults(a, b, problems);
      compareRequests(sdkReqs, ourReqs, side.urlBase, problems);
      if (a.kind !== 'token' && sdkReqs.length === 0) problems.push('no request recorded');
      if (problems.length === 0) {
        passed++;
        console.log(`PASS: ${name} (${sdkReqs.length} request${sdkReqs.length === 1 ? '' : 's'})`);
      } else {
        failed++;
        console.log(`FAIL: ${name}`);
        for (const p of problems) console.log(`    ${p}`);
        for (const e of sdkReqs) console.log(`    SDK:  ${show(request(e))}`);
        for (const e of ourReqs) console.log(`    awps: ${show(request(e))}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
