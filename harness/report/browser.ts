// Opens a report page in Debian's headless Chromium, driven through the DevTools protocol (puppeteer-core
// over a pipe, so no debugging port is opened), inside a network namespace of its own (`unshare -n`:
// only a loopback interface, down) with background networking, component updates and sync off: no
// packet can leave this machine, whatever Chromium tries. Used by the HTML report test and by
// `pullproof report screenshot`.
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HarnessError } from '../errors.ts';

export const CHROMIUM = process.env.PULLPROOF_CHROMIUM ?? '/usr/bin/chromium';
/** The window the report is looked at in: its first screen is what fits in this height. */
const VIEWPORT_HEIGHT = 900;

export interface PageVisit {
  url: string;
  /** Every request the page made (the document included), in order. */
  requests: string[];
  /** Console messages of type error, and uncaught page errors. */
  consoleErrors: string[];
  /** Text of the element matched by `waitFor`, if given. */
  found?: string;
  /** /proc/<pid>/ns/net of the browser process vs of this process: they differ when it runs in its own namespace. */
  browserNetNs: string;
  ownNetNs: string;
  screenshot?: string;
  /** Where the first element of each `rects` selector is on the first screen (CSS px from the top; absent when there is none). */
  rects?: Record<string, { top: number; bottom: number } | undefined>;
  /** The first screen's height: the window's, less a horizontal scroll bar. */
  viewportHeight?: number;
  /** Every element of each `boxes` selector: its size (CSS px) and whether it is visible (rendered, not visibility:hidden). */
  boxes?: Record<string, { width: number; height: number; visible: boolean }[]>;
}

export interface VisitOptions {
  /** A CSS selector that must be present once the page has loaded. */
  waitFor?: string;
  /** Write a PNG here: the full page, or only the first screen with fullPage false. */
  screenshot?: string;
  fullPage?: boolean;
  width?: number;
  /** Selectors whose first element's position is measured (before any scrolling). */
  rects?: string[];
  /** Run the page with JavaScript off (the report must read the same without it). */
  javaScript?: boolean;
  /** Options to choose, as a user would, before anything is measured: select element selector to option value. */
  choose?: Record<string, string>;
  /** Selectors whose every element is measured (after `choose`). */
  boxes?: string[];
}

/** Flags: headless, no sandbox (we run as root), nothing that reaches out on its own. */
export function chromiumFlags(userDataDir: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--no-default-browser-check', '--disable-features=Translate,OptimizationHints,MediaRouter', '--mute-audio', `--user-data-dir=${userDataDir}`];
}

export async function visitPage(file: string, o: VisitOptions = {}): Promise<PageVisit> {
  const path = resolve(file);
  if (!existsSync(path)) throw new HarnessError(`${path} does not exist`);
  if (!existsSync(CHROMIUM)) throw new HarnessError(`Chromium is not installed at ${CHROMIUM}`, 'install it with: apt-get install -y --no-install-recommends chromium (or set PULLPROOF_CHROMIUM)');
  const { default: puppeteer } = await import('puppeteer-core');
  const profile = mkdtempSync(join(tmpdir(), 'pullproof-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/unshare',
    ignoreDefaultArgs: true,
    args: ['--net', '--', CHROMIUM, ...chromiumFlags(profile)],
    pipe: true,
    timeout: 60_000,
    protocolTimeout: 60_000,
  });
  try {
    const pid = browser.process()?.pid;
    const visit: PageVisit = {
      url: pathToFileURL(path).href, requests: [], consoleErrors: [],
      browserNetNs: pid ? readlinkSync(`/proc/${pid}/ns/net`) : 'unknown', ownNetNs: readlinkSync('/proc/self/ns/net'),
    };
    const page = await browser.newPage();
    await page.setViewport({ width: o.width ?? 1400, height: VIEWPORT_HEIGHT });
    if (o.javaScript === false) await page.setJavaScriptEnabled(false);
    page.on('request', (req) => { visit.requests.push(req.url()); });
    page.on('console', (m) => { if (m.type() === 'error') visit.consoleErrors.push(m.text()); });
    page.on('pageerror', (err) => { visit.consoleErrors.push(String((err as Error).message ?? err)); });
    await page.goto(visit.url, { waitUntil: 'load', timeout: 30_000 });
    if (o.waitFor) visit.found = await page.$eval(o.waitFor, (el) => el.textContent ?? '').catch(() => undefined);
    for (const [sel, value] of Object.entries(o.choose ?? {})) await page.select(sel, value);
    if (o.rects) {
      visit.rects = {};
      for (const sel of o.rects) {
        const el = await page.$(sel);
        const box = el ? await el.boundingBox() : null;
        visit.rects[sel] = box ? { top: box.y, bottom: box.y + box.height } : undefined;
      }
      // What the window shows above a horizontal scroll bar, if the page has one.
      visit.viewportHeight = await page.evaluate(() => document.documentElement.clientHeight);
    }
    if (o.boxes) {
      visit.boxes = {};
      for (const sel of o.boxes) {
        visit.boxes[sel] = await page.$$eval(sel, (els) => els.map((el) => {
          const r = el.getBoundingClientRect();
          return { width: r.width, height: r.height, visible: el.checkVisibility({ visibilityProperty: true }) };
        }));
      }
    }
    if (o.screenshot) {
      await page.screenshot({ path: o.screenshot as `${string}.png`, fullPage: o.fullPage ?? true });
      visit.screenshot = o.screenshot;
    }
    await page.close();
    return visit;
  } finally {
    await browser.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}
