// The clicker page: joins a clicker room at once, shows the round, the
// timer, last round's winner and every player (ghosts, whose connection
// dropped, greyed out), and sends one input {n: 1} per click.
//
// Query parameters: transport=polling (force long-polling) or websocket,
// name=NAME, roundSeconds and intermissionSeconds (room options).
import { connect } from "./roomcast.bundle.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const EMOTES = ["👍", "🎉", "😮", "😂"];

const ui = {
  status: $("status"),
  transport: $("transport"),
  phase: $("phase"),
  timer: $("timer"),
  winner: $("winner"),
  click: $("click"),
  emotes: $("emotes"),
  feed: $("feed"),
  players: $("players"),
  banner: $("banner"),
  name: $("name"),
};

const app = { client: null, room: null, clicks: 0 };
window.clickerApp = app; // for debugging from the console

ui.name.value = params.get("name") ?? localStorage.getItem("clicker.name") ?? `player${Math.floor(Math.random() * 1000)}`;
ui.name.addEventListener("change", () => localStorage.setItem("clicker.name", ui.name.value));

function setStatus(status, text) {
  ui.status.dataset.status = status;
  ui.status.textContent = text;
}

function showBanner(text) {
  ui.banner.hidden = !text;
  ui.banner.textContent = text ?? "";
}

function render() {
  const room = app.room;
  const s = room?.state;
  ui.transport.textContent = app.client?.transport ? `over ${app.client.transport}` : "";
  if (!s) return;
  const playing = s.phase === "playing";
  ui.phase.textContent = `Round ${s.round} · ${playing ? "playing" : "intermission"}`;
  ui.timer.textContent = `${s.timeLeft} s`;
  ui.winner.textContent = s.winnerName ? `Last round: ${s.winnerName} won with ${s.winnerScore} clicks` : s.round > 1 ? "Last round: nobody clicked" : "";
  ui.click.disabled = !playing || room.status !== "connected";
  ui.click.textContent = playing ? "Click!" : "Next round soon…";

  const list = [...(s.players ?? [])].sort((a, b) => b[1].score - a[1].score || b[1].wins - a[1].wins);
  ui.players.replaceChildren(
    ...list.map(([id, p]) => {
      const li = document.createElement("li");
      li.textContent = `${p.name}: ${p.score}  (${p.wins} ${p.wins === 1 ? "win" : "wins"})`;
      if (id === room.sessionId) li.classList.add("me");
      if (!p.online) {
        li.classList.add("ghost");
        li.append(" reconnecting…");
      }
      return li;
    }),
  );
}

function clickOnce() {
  if (app.room?.send({ n: 1 })) app.clicks++;
}
ui.click.addEventListener("click", clickOnce);
addEventListener("keydown", (e) => {
  if (e.code !== "Space" || e.repeat || e.target instanceof HTMLInputElement) return;
  e.preventDefault();
  if (!ui.click.disabled) clickOnce();
});

for (const emote of EMOTES) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = emote;
  b.addEventListener("click", () => app.room?.message("emote", emote).catch(() => {}));
  ui.emotes.append(b);
}

function showEmote({ from, emote }) {
  const name = app.room?.state?.players?.get(from)?.name ?? "someone";
  const line = document.createElement("div");
  line.textContent = `${name} ${emote}`;
  ui.feed.prepend(line);
  while (ui.feed.childElementCount > 5) ui.feed.lastChild.remove();
}

async function main() {
  const opts = {};
  const transport = params.get("transport");
  if (transport === "polling" || transport === "websocket") opts.transports = [transport];
  const options = { name: ui.name.value };
  for (const key of ["roundSeconds", "intermissionSeconds"]) {
    if (params.has(key)) options[key] = Number(params.get(key));
  }
  for (;;) {
    try {
      app.client = await connect(location.origin, opts);
      break;
    } catch {
      setStatus("offline", "server unreachable, retrying…");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const room = await app.client.joinOrCreate("clicker", options);
  app.room = room;
  setStatus("connected", "connected");
  room.on("state", render);
  room.on("message", (type, payload) => type === "emote" && showEmote(payload));
  room.on("drop", () => {
    setStatus("resuming", "reconnecting…");
    showBanner("Connection lost: getting your seat back…");
    render();
  });
  room.on("resume", () => {
    setStatus("connected", "connected");
    showBanner(null);
    render();
  });
  room.on("leave", (info) => {
    setStatus("offline", "left");
    showBanner(`You left the room: ${info.reason || info.code}. Reload to play again.`);
    ui.click.disabled = true;
  });
  render();
}

main().catch((err) => {
  setStatus("offline", `error: ${err.message}`);
});
