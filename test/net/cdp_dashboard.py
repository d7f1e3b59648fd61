#!/usr/bin/python3
# cdp_dashboard.py URL VICTIM SHOT: drives the debug console's dashboard in
# headless Chromium over the DevTools protocol (no npm: python3-websockets):
# the page loads and lists the node's services, both plots draw, sorting by a
# column works, and the kill button (after its confirmation) kills VICTIM.
# Saves a screenshot to SHOT. Prints "ok STEP" lines; exit 1 at the first
# failure ("fail STEP: why"), 2 if a tool is missing.
import asyncio, base64, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request

try:
    import websockets
except ImportError:
    print("python3-websockets missing", file=sys.stderr)
    sys.exit(2)

URL, VICTIM, SHOT = sys.argv[1], sys.argv[2], sys.argv[3]
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
if not BROWSER:
    print("chromium missing", file=sys.stderr)
    sys.exit(2)


def fail(step, why):
    print("fail %s: %s" % (step, why), flush=True)
    sys.exit(1)


def start_browser():
    profile = tempfile.mkdtemp(prefix="cdp-profile.")
    args = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            "--user-data-dir=" + profile, "--remote-debugging-port=0", "--window-size=1280,1000", "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return proc, profile, m.group(1)
    proc.kill()
    fail("browser", "no DevTools line from chromium")


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    async def send(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        await self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    async def js(self, expr):
        r = await self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("js error in %s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    async def until(self, step, expr, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if await self.js(expr):
                return
            await asyncio.sleep(0.2)
        fail(step, "timed out waiting for " + expr)


async def drive(ws_url):
    port = re.search(r":(\d+)/", ws_url).group(1)
    async with websockets.connect(ws_url, max_size=None) as browser:
        b = Page(browser)
        target = await b.send("Target.createTarget", url="about:blank")
        tid = target["targetId"]
    page_ws = "ws://127.0.0.1:%s/devtools/page/%s" % (port, tid)
    async with websockets.connect(page_ws, max_size=None) as ws:
        p = Page(ws)
        await p.send("Page.enable")
        await p.send("Runtime.enable")
        await p.send("Page.navigate", url=URL)
        await p.until("load", "!!(window.dashboard && dashboard.polls >= 1)", 30)
        print("ok load", flush=True)
        rows = await p.js("Array.from(document.querySelectorAll('#services tbody tr')).map(r => r.dataset.address + ' ' + r.children[1].textContent)")
        if not any(r.startswith(VICTIM + " snlua t_peer") for r in rows) or len(rows) < 5:
            fail("services", "rows: %r" % rows)
        print("ok services (%d rows)" % len(rows), flush=True)
        await p.until("plot", "dashboard.polls >= 3 && dashboard.plotted >= 6", 30)
        inked = await p.js("""(() => { const out = {};
            for (const id of ['plot-mem', 'plot-rate']) {
              const c = document.getElementById(id), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+1] < 200 && (d[i] < 120 || d[i+2] < 120)) n++;
              out[id] = n; } return out; })()""")
        if inked["plot-mem"] < 50 or inked["plot-rate"] < 50:
            fail("plot", "coloured pixels: %r" % inked)
        rate = await p.js("parseFloat(document.getElementById('s-rate').textContent)")
        if not rate or rate <= 0:
            fail("plot", "message rate %r" % rate)
        print("ok plot (pixels %r, %.1f messages/s)" % (inked, rate), flush=True)
        await p.js("document.querySelector('th[data-key=lua_mem]').click()")
        mems = await p.js("dashboard.services.length && Array.from(document.querySelectorAll('#services tbody tr')).map(r => r.dataset.address)")
        order = await p.js("""(() => { const by = {}; dashboard.services.forEach(s => by[s.address] = s.lua_mem === undefined ? -1 : s.lua_mem);
            const a = Array.from(document.querySelectorAll('#services tbody tr')).map(r => by[r.dataset.address]);
            for (let i = 1; i < a.length; i++) if (a[i] > a[i-1]) return false; return a.length > 0; })()""")
        if not order:
            fail("sort", "not sorted by Lua memory: %r" % mems)
        print("ok sort by Lua memory", flush=True)
        await p.js("document.querySelector('tr[data-address=\"%s\"] button[data-cmd^=kill]').click()" % VICTIM)
        shown = await p.js("getComputedStyle(document.getElementById('confirm')).display")
        text = await p.js("document.getElementById('confirm-text').textContent")
        if shown != "block" or VICTIM not in text:
            fail("confirm", "confirmation %r %r" % (shown, text))
        shot = await p.send("Page.captureScreenshot", format="png")
        await p.js("document.getElementById('confirm-yes').click()")
        await p.until("kill", "!!(dashboard.lastReply && dashboard.lastReply.indexOf('<CMD OK>') >= 0)", 20)
        await p.until("kill", "!document.querySelector('tr[data-address=\"%s\"]')" % VICTIM, 20)
        print("ok kill %s" % VICTIM, flush=True)
        with open(SHOT, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("ok screenshot %s" % SHOT, flush=True)


proc, profile, ws_url = start_browser()
try:
    asyncio.run(asyncio.wait_for(drive(ws_url), 150))
except SystemExit:
    raise
except Exception as e:
    fail("cdp", repr(e))
finally:
    proc.kill()
    proc.wait()
    shutil.rmtree(profile, ignore_errors=True)
