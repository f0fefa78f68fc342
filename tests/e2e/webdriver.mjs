// A few WebDriver calls over fetch, for the app-window test and the app benchmark (tauri-driver
// speaks W3C WebDriver and hands sessions to WebKitWebDriver).

/** Calls `method path` on the driver at `base`; the answer's `value`, or an error with its body. */
export async function wd(base, method, path, body) {
  const resp = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await resp.json();
  if (!resp.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json.value;
}

/** Polls `fn` until it returns something truthy; errors count as "not yet" until the time is up. */
export async function until(what, fn, ms = 60_000, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export const css = (value) => ({ using: "css selector", value });

/**
 * The W3C actions of a mouse drag from the middle of `element` by (dx, dy) pixels, in `steps`
 * moves over `ms` (one move: a straight jump at the end of the time).
 */
export function drag(element, dx, dy, ms, steps = 1) {
  const moves = Array.from({ length: steps }, () => ({ type: "pointerMove", duration: ms / steps, origin: "pointer", x: dx / steps, y: dy / steps }));
  return {
    actions: [
      {
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [
          { type: "pointerMove", duration: 0, origin: { "element-6066-11e4-a52e-4f735466cecf": element }, x: 0, y: 0 },
          { type: "pointerDown", button: 0 },
          ...moves,
          { type: "pointerUp", button: 0 },
        ],
      },
    ],
  };
}
