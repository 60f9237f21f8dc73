// knead serve: keeps this tab in step with the site. Added only by `knead serve`, never to a
// built site. Browsers allow few open connections to one server, so the tabs of a browser
// share one event stream: the tab holding the "knead-live" lock listens and passes each event
// to the others over a BroadcastChannel.
(() => {
  "use strict";
  const script = document.currentScript;
  let build = script ? script.dataset.build : "";
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("knead-live") : null;
  // What the server said last (kept by the tab that listens, to tell tabs opened later).
  let latest = null;

  function handle(type, data) {
    if (type === "hello") {
      if (data.build !== build) {
        location.reload();
        return;
      }
      showErrors(data.error);
    } else if (type === "reload") {
      location.reload();
    } else if (type === "css") {
      build = data.build;
      swapStylesheets();
    } else if (type === "error") {
      showErrors(data.error);
    }
  }

  function remember(type, data) {
    if (type === "hello") latest = { build: data.build, error: data.error };
    else if (type === "reload" || type === "css") latest = { build: data.build, error: null };
    else if (type === "error" && latest) latest = { build: latest.build, error: data.error };
  }

  function swapStylesheets() {
    const stamp = String(Date.now());
    for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("knead", stamp);
      // Keep the old sheet until the new one has loaded, so the page does not flash unstyled.
      const fresh = link.cloneNode();
      fresh.href = url.href;
      fresh.addEventListener("load", () => link.remove(), { once: true });
      fresh.addEventListener("error", () => fresh.remove(), { once: true });
      link.after(fresh);
    }
  }

  function showErrors(html) {
    const page = document.getElementById("knead-error-page");
    if (page) {
      if (html) page.innerHTML = html;
      return;
    }
    let host = document.getElementById("knead-overlay");
    if (!html) {
      if (host) host.remove();
      return;
    }
    if (!host) {
      host = document.createElement("div");
      host.id = "knead-overlay";
      host.attachShadow({ mode: "open" });
      document.documentElement.appendChild(host);
    }
    // The server escaped everything in the overlay that came from the site.
    host.shadowRoot.innerHTML =
      html + '<button type="button" class="knead-close" aria-label="Hide the errors">×</button>';
    host.shadowRoot.querySelector(".knead-close").addEventListener("click", () => host.remove());
  }

  function listen() {
    const source = new EventSource("/__knead/events");
    for (const type of ["hello", "reload", "css", "error"]) {
      source.addEventListener(type, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        remember(type, data);
        if (channel) channel.postMessage({ type, data });
        handle(type, data);
      });
    }
    source.addEventListener("error", () => {
      // The browser retries by itself unless it gave up; then try again a little later.
      if (source.readyState === EventSource.CLOSED) setTimeout(listen, 1000);
    });
  }

  if (channel && navigator.locks) {
    channel.addEventListener("message", (event) => {
      const { type, data } = event.data || {};
      if (type === "sync") {
        if (latest) channel.postMessage({ type: "hello", data: latest });
      } else if (type) {
        handle(type, data);
      }
    });
    // Held until this tab closes or navigates; then another tab takes over.
    navigator.locks.request("knead-live", () => {
      listen();
      return new Promise(() => {});
    });
    channel.postMessage({ type: "sync" });
  } else {
    listen();
  }
})();
