// The push page's progress panel, kept live: every few seconds (the fragment's
// data-poll-seconds; only while the tab is visible) the panel is replaced by the fragment the
// admin serves at data-url. Buttons for moves no longer
// allowed go away; at a final state the page reloads once, so the whole form matches.
(function () {
  "use strict";
  const panel = document.getElementById("push-progress");
  if (!panel) return;
  const url = panel.dataset.url;
  const MAX_INTERVAL = 60000;
  let body = panel.querySelector("[data-progress]");
  if (!body || body.dataset.final === "1") return;
  let failures = 0;

  function schedule() {
    const interval = 1000 * Number(body.dataset.pollSeconds || 2);
    window.setTimeout(poll, Math.min(interval * 2 ** failures, MAX_INTERVAL));
  }

  function dropStaleButtons(moves) {
    const allowed = new Set(moves.split(" ").filter(Boolean));
    for (const name of ["approve", "cancel", "preview"]) {
      const form = document.getElementById("push-" + name);
      if (form && !allowed.has(name)) form.remove();
    }
  }

  async function poll() {
    if (document.hidden) {
      schedule();
      return;
    }
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        redirect: "error",
        headers: { Accept: "text/html" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const holder = document.createElement("template");
      holder.innerHTML = (await response.text()).trim();
      const fresh = holder.content.querySelector("[data-progress]");
      if (!fresh) throw new Error("no progress in the answer");
      body.replaceWith(fresh);
      body = fresh;
      const status = document.getElementById("push-status");
      if (status) {
        status.textContent = fresh.dataset.status;
        status.dataset.state = fresh.dataset.state;
      }
      dropStaleButtons(fresh.dataset.moves || "");
      failures = 0;
      if (fresh.dataset.final === "1") {
        window.location.reload();
        return;
      }
    } catch (error) {
      // Offline, logged out or a server hiccup: try again, less and less often.
      failures += 1;
    }
    schedule();
  }

  schedule();
})();
