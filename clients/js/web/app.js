// The arena page: live lobby, create/join, the arena on a canvas with the
// own player predicted and the others interpolated, a banner while the
// connection is down and the seat is being resumed, and the ping.
//
// Query parameters: transport=polling (force HTTP long-polling, for
// networks that block WebSocket; the header's link toggles it) or
// websocket, name=NAME, join=ROOMID (join that room at once), create=1
// (create one), stall=MS (the client's stallTimeout), room=TYPE (the room
// type: "arena" by default; "bigworld" is the 256-player 1024 × 1024 map,
// drawn whole with its 12 × 12 cells, where each client receives, and the
// page draws, only the players in the 3 × 3 cells around its own).
//
// Players whose connection is gone (their seat held while they reconnect:
// the state's online field is false) are drawn grey and marked
// "reconnecting". While the page's own connection is down the lobby is
// unknown: its list is cleared (no Join buttons for rooms of a server that
// may be gone) until the reconnect brings the server's list again.
//
// For tests and debugging, window.roomcastApp.view() is a plain snapshot of
// what the page shows, and window.roomcastApp.drawn what the last animation
// frame drew: {tick, players: [{id, x, y}]}, the state's tick and each
// player drawn with its position in canvas pixels (null while in no room).
import {
  connect,
  arenaRoomOptions,
  position,
  SIZE,
  PLAYER_RADIUS,
  PICKUP_RADIUS,
  MAX_HP,
  bigworldRoomOptions,
  BIGWORLD_SIZE,
  BIGWORLD_CELLS,
} from "./roomcast.bundle.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const ui = {
  status: $("status"),
  ping: $("ping"),
  transport: $("transport"),
  transportLink: $("transport-link"),
  name: $("name"),
  quick: $("quick"),
  create: $("create"),
  leave: $("leave"),
  rooms: $("rooms").querySelector("tbody"),
  noRooms: $("no-rooms"),
  scores: $("scores"),
  roomInfo: $("room-info"),
  canvas: $("arena"),
  banner: $("banner"),
};
const ctx = ui.canvas.getContext("2d");

const app = {
  client: null,
  room: null,
  lobby: null,
  status: "connecting",
  error: null,
  keys: new Set(),
  blurs: 0,
  drawn: null,
  /** A plain snapshot of what the page shows (for tests and debugging). */
  view() {
    const room = app.room;
    const players = {};
    for (const [id, p] of room?.state?.players ?? []) players[id] = { ...position(p), hp: p.hp, score: p.score, name: p.name, online: isOnline(p) };
    const pickups = [];
    for (const [, it] of room?.state?.pickups ?? []) pickups.push({ x: it.x, y: it.y });
    return {
      status: app.status,
      transport: app.client?.transport ?? null,
      roomId: room?.id ?? null,
      sessionId: room?.sessionId ?? null,
      tick: room?.tick ?? 0,
      ping: room?.ping ?? null,
      resumes: room?.stats.resumes ?? 0,
      seq: room?.seq ?? 0,
      ackedSeq: room?.ackedSeq ?? 0,
      pending: room?.pending.length ?? 0,
      frames: room ? { snapshots: room.stats.snapshots, deltas: room.stats.deltas, resyncs: room.stats.resyncs } : null,
      me: room?.sessionId ? players[room.sessionId] ?? null : null,
      predicted: room?.predicted ? position(room.predicted) : null,
      players,
      pickups,
      lobby: app.lobby ? [...app.lobby.rooms.values()].map((r) => ({ roomId: r.roomId, clients: r.clients })) : [],
      lobbyLive: app.lobby?.live ?? false,
      scores: [...ui.scores.children].map((li) => li.textContent),
      keys: [...app.keys],
      blurs: app.blurs,
      error: app.error,
    };
  },
};
window.roomcastApp = app;

// A player is online unless the state says otherwise (older servers have
// no online field).
const isOnline = (p) => p.online !== false;

// The transport link: switch between the default (WebSocket, polling
// fallback) and polling only, keeping the other parameters.
{
  const polling = params.get("transport") === "polling";
  const next = new URLSearchParams(params);
  next.delete("join");
  next.delete("create");
  if (polling) next.delete("transport");
  else next.set("transport", "polling");
  ui.transportLink.href = `?${next}`;
  ui.transportLink.textContent = polling ? "use WebSocket" : "use long-polling";
}

const roomType = params.get("room") ?? "arena";
document.title = `roomcast ${roomType}`;
document.querySelector("h1").textContent = document.title;
// The room type's map: its side (the canvas shows all of it), the spacing
// of the grid drawn on it (bigworld: its cells) and the own player's
// prediction.
const world =
  roomType === "bigworld"
    ? { size: BIGWORLD_SIZE, grid: BIGWORLD_SIZE / BIGWORLD_CELLS, roomOptions: bigworldRoomOptions }
    : { size: SIZE, grid: 100, roomOptions: arenaRoomOptions };
ui.name.value = params.get("name") ?? localStorage.getItem("roomcast.name") ?? `player${Math.floor(Math.random() * 1000)}`;
ui.name.addEventListener("change", () => localStorage.setItem("roomcast.name", ui.name.value));

function setStatus(status, text) {
  app.status = status;
  ui.status.dataset.status = status;
  ui.status.textContent = text ?? status;
}

function showBanner(text, bad = false) {
  ui.banner.hidden = !text;
  ui.banner.textContent = text ?? "";
  ui.banner.classList.toggle("bad", bad);
}

function updateButtons() {
  const inRoom = !!app.room && !app.room.left;
  const offline = !app.client?.connected;
  ui.quick.disabled = inRoom || offline;
  ui.create.disabled = inRoom || offline;
  ui.leave.disabled = !inRoom;
  for (const b of ui.rooms.querySelectorAll("button")) b.disabled = inRoom || offline || b.dataset.full === "1";
}

function renderLobby(rooms) {
  ui.rooms.replaceChildren();
  const list = [...rooms.values()].sort((a, b) => a.roomId.localeCompare(b.roomId));
  const live = app.lobby?.live ?? false;
  ui.noRooms.hidden = live && list.length > 0;
  ui.noRooms.textContent = live ? "No rooms yet: create one." : "Connection lost: the room list is back once reconnected.";
  ui.noRooms.classList.toggle("lost", !live);
  for (const r of list) {
    const tr = document.createElement("tr");
    tr.dataset.roomId = r.roomId;
    if (app.room && r.roomId === app.room.id) tr.classList.add("mine");
    const cells = [r.roomId, `${r.clients}/${r.maxClients}`, r.metadata?.mode ?? ""];
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.append(td);
    }
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Join";
    b.dataset.full = r.clients >= r.maxClients || r.locked ? "1" : "0";
    b.addEventListener("click", () => enter((c) => c.joinById(r.roomId, { name: ui.name.value }, world.roomOptions)));
    td.append(b);
    tr.append(td);
    ui.rooms.append(tr);
  }
  updateButtons();
}

async function enter(how) {
  if (!app.client || (app.room && !app.room.left)) return;
  app.error = null;
  ui.quick.disabled = ui.create.disabled = true;
  try {
    const room = await how(app.client);
    watchRoom(room);
  } catch (err) {
    app.error = err.code ?? err.message;
    ui.roomInfo.textContent = `Could not join: ${err.message}`;
  }
  updateButtons();
}

function watchRoom(room) {
  app.room = room;
  ui.roomInfo.textContent = `Room ${room.id} · you are ${room.sessionId}`;
  setStatus("connected", "connected");
  showBanner(null);
  room.on("drop", () => {
    setStatus("resuming", "reconnecting…");
    showBanner("Connection lost: getting your seat back…");
  });
  room.on("resume", () => {
    setStatus("connected", "connected");
    showBanner(null);
  });
  room.on("leave", (info) => {
    setStatus(app.client?.connected ? "connected" : "offline", app.client?.connected ? "connected" : "offline");
    if (info.code !== "left") showBanner(`You left the room: ${info.reason || info.code}`, true);
    ui.roomInfo.textContent = "Not in a room.";
    updateButtons();
  });
  updateButtons();
  if (app.lobby) renderLobby(app.lobby.rooms);
}

ui.quick.addEventListener("click", () => enter((c) => c.joinOrCreate(roomType, { name: ui.name.value }, world.roomOptions)));
ui.create.addEventListener("click", () => enter((c) => c.create(roomType, { name: ui.name.value }, world.roomOptions)));
ui.leave.addEventListener("click", async () => {
  await app.room?.leave().catch(() => {});
  showBanner(null);
  updateButtons();
});

// Keys held → input {dx, dy}.
const keyDirs = {
  ArrowLeft: [-1, 0], KeyA: [-1, 0],
  ArrowRight: [1, 0], KeyD: [1, 0],
  ArrowUp: [0, -1], KeyW: [0, -1],
  ArrowDown: [0, 1], KeyS: [0, 1],
};
addEventListener("keydown", (e) => {
  if (e.target instanceof HTMLInputElement) return;
  if (keyDirs[e.code]) {
    app.keys.add(e.code);
    e.preventDefault();
  }
});
addEventListener("keyup", (e) => app.keys.delete(e.code));
addEventListener("blur", () => {
  app.blurs++;
  app.keys.clear();
});

function currentInput() {
  let dx = 0;
  let dy = 0;
  for (const k of app.keys) {
    dx += keyDirs[k][0];
    dy += keyDirs[k][1];
  }
  return { dx: Math.sign(dx), dy: Math.sign(dy) };
}

// One input per server tick (play mode applies one queued input a tick; the
// acks also measure the ping).
let inputTimer = null;
function startInputs() {
  clearInterval(inputTimer);
  inputTimer = setInterval(() => {
    const room = app.room;
    if (room && !room.left && room.status === "connected") room.send(currentInput());
    ui.ping.textContent = room?.ping != null ? `ping ${Math.round(room.ping)} ms` : "ping –";
    ui.transport.textContent = app.client?.transport ?? "";
    renderScores();
  }, 50);
}

// The ping display: one msg("ping") round trip a second (the input acks
// also feed room.ping while playing).
setInterval(() => {
  const room = app.room;
  if (room && !room.left && room.status === "connected") room.measurePing().catch(() => {});
}, 1000);

function renderScores() {
  const room = app.room;
  const list = [...(room?.state?.players ?? [])].sort((a, b) => b[1].score - a[1].score);
  const key = list.map(([id, p]) => `${id}:${p.score}:${p.name}:${isOnline(p)}`).join("|");
  if (ui.scores.dataset.key === key) return;
  ui.scores.dataset.key = key;
  ui.scores.replaceChildren(
    ...list.map(([id, p]) => {
      const li = document.createElement("li");
      li.textContent = `${p.name}: ${p.score}${isOnline(p) ? "" : " (reconnecting)"}`;
      if (id === room.sessionId) li.classList.add("me");
      li.classList.toggle("offline", !isOnline(p));
      return li;
    }),
  );
}

// smoothSelf eases the drawn own player towards its prediction, so a
// correction from the server (reconciliation) glides instead of jumping;
// large corrections (respawn, resync) snap.
let drawnSelf = null;
let drawnAt = 0;
function smoothSelf(target, t) {
  if (!drawnSelf || Math.hypot(target.x - drawnSelf.x, target.y - drawnSelf.y) > 80) drawnSelf = { ...target };
  else {
    const k = Math.min(1, (t - drawnAt) / 60);
    drawnSelf = { x: drawnSelf.x + (target.x - drawnSelf.x) * k, y: drawnSelf.y + (target.y - drawnSelf.y) * k };
  }
  drawnAt = t;
  return drawnSelf;
}

function draw() {
  const w = ui.canvas.width;
  const s = w / world.size;
  ctx.fillStyle = "#0d0f13";
  ctx.fillRect(0, 0, w, w);
  ctx.strokeStyle = "#1f232b";
  ctx.lineWidth = 1;
  for (let g = world.grid; g < world.size - 1; g += world.grid) {
    ctx.beginPath();
    ctx.moveTo(g * s, 0);
    ctx.lineTo(g * s, w);
    ctx.moveTo(0, g * s);
    ctx.lineTo(w, g * s);
    ctx.stroke();
  }
  const room = app.room;
  app.drawn = null;
  if (room?.state && !room.left) {
    const t = performance.now();
    const drawn = { tick: room.tick, players: [] };
    app.drawn = drawn;
    ctx.fillStyle = "#ffd84f";
    for (const [, it] of room.state.pickups ?? []) {
      ctx.beginPath();
      ctx.arc(it.x * s, it.y * s, PICKUP_RADIUS * s, 0, Math.PI * 2);
      ctx.fill();
    }
    for (const [id, p] of room.state.players ?? []) {
      const mine = id === room.sessionId;
      let pos = position(mine && room.predicted ? room.predicted : room.interpolated(p, t));
      if (mine) pos = smoothSelf(pos, t);
      const x = pos.x * s;
      const y = pos.y * s;
      drawn.players.push({ id, x, y });
      const online = isOnline(p);
      ctx.globalAlpha = online ? 1 : 0.45;
      ctx.fillStyle = !online ? "#8a8f99" : mine ? "#4fa3ff" : "#e66f6f";
      ctx.beginPath();
      ctx.arc(x, y, PLAYER_RADIUS * s, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = "#333";
      ctx.fillRect(x - 16, y - PLAYER_RADIUS * s - 8, 32, 4);
      ctx.fillStyle = p.hp > 30 ? "#5fd37a" : "#ff5f5f";
      ctx.fillRect(x - 16, y - PLAYER_RADIUS * s - 8, (32 * p.hp) / MAX_HP, 4);
      ctx.fillStyle = "#e6e6e6";
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(`${p.name} (${p.score})${online ? "" : " reconnecting…"}`, Math.min(w - 40, Math.max(40, x)), y + PLAYER_RADIUS * s + 14);
      ctx.globalAlpha = 1;
    }
  } else {
    ctx.fillStyle = "#9aa0aa";
    ctx.font = "16px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillText("Create or join a room", w / 2, w / 2);
  }
  requestAnimationFrame(draw);
}

async function main() {
  requestAnimationFrame(draw);
  startInputs();
  const transport = params.get("transport");
  const opts = {};
  if (transport === "polling") opts.transports = ["polling"];
  else if (transport === "websocket") opts.transports = ["websocket"];
  const stall = Number(params.get("stall"));
  if (stall > 0) opts.stallTimeout = stall;
  let client;
  for (;;) {
    try {
      client = await connect(location.origin, opts);
      break;
    } catch (err) {
      setStatus("offline", "server unreachable, retrying…");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  app.client = client;
  setStatus("connected", "connected");
  client.on("disconnect", () => {
    if (!app.room || app.room.left) setStatus("offline", "offline, reconnecting…");
    updateButtons();
  });
  client.on("connect", () => {
    if (!app.room || app.room.left) setStatus("connected", "connected");
    updateButtons();
  });
  app.lobby = await client.lobby({ name: roomType });
  app.lobby.on("change", renderLobby);
  renderLobby(app.lobby.rooms);
  const join = params.get("join");
  if (join) await enter((c) => c.joinById(join, { name: ui.name.value }, world.roomOptions));
  else if (params.get("create")) await enter((c) => c.create(roomType, { name: ui.name.value }, world.roomOptions));
  updateButtons();
}

main().catch((err) => {
  app.error = err.message;
  setStatus("offline", `error: ${err.message}`);
});
