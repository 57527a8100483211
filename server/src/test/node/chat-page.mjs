// The chat page at / in Debian's Chromium, driven by playwright-core: argv[2] the page's URL, argv[3] the screenshot,
// argv[4] the page's URL with a seed whose first reply fills the context.
// Sends a message and watches the reply grow while it streams, then stops a second reply mid-stream, then takes a
// screenshot. Prints one JSON object; the Java test (ChatPageBrowserTest) checks it.
import { chromium } from 'playwright-core';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const out = {};
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  // Slow the page's network to ~3 KB/s so that a reply streams for seconds: the test can watch it grow and stop it.
  const cdp = await page.context().newCDPSession(page);
  await page.goto(process.argv[2]);
  await page.waitForFunction(() => document.getElementById('model').textContent !== 'loading…');
  out.model = await page.textContent('#model');
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 3000, uploadThroughput: -1 });

  await page.fill('#input', 'Tell me a story about a cat.');
  await page.press('#input', 'Enter');
  const reply = page.locator('.msg.assistant').first();
  await page.waitForFunction(() => { const m = document.querySelector('.msg.assistant'); return m && m.textContent.length > 0; });
  const lengths = [await reply.evaluate(e => e.textContent.length)];
  for (let i = 0; i < 4 && await reply.getAttribute('data-streaming') === 'true'; i++) {
    await page.waitForTimeout(300);
    lengths.push(await reply.evaluate(e => e.textContent.length));
  }
  out.growing = lengths;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.waitForSelector('.stats', { timeout: 60000 });
  out.firstReply = await reply.textContent();
  out.firstStats = await page.locator('.stats').first().textContent();

  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 3000, uploadThroughput: -1 });
  await page.fill('#input', 'And then?');
  await page.press('#input', 'Enter');
  await page.waitForFunction(() => { const m = document.querySelectorAll('.msg.assistant'); return m.length === 2 && m[1].textContent.length > 0; });
  out.stopEnabled = await page.isEnabled('#stop');
  await page.click('#stop');
  await page.waitForFunction(() => document.querySelectorAll('.stats').length === 2);
  out.secondStats = await page.locator('.stats').nth(1).textContent();
  out.secondReply = await page.locator('.msg.assistant').nth(1).textContent();
  out.sendEnabledAfterStop = await page.isEnabled('#send');
  out.userBubbles = await page.locator('.msg.user').count();
  await page.screenshot({ path: process.argv[3], fullPage: true });

  // A conversation that outgrows the context (?seed=11: the first reply fills it): the page drops the oldest turn.
  const full = await browser.newPage();
  await full.goto(process.argv[4]);
  await full.fill('#input', 'Tell me a story about a cat.');
  await full.press('#input', 'Enter');
  await full.waitForSelector('.stats', { timeout: 60000 });
  await full.fill('#input', 'And then?');
  await full.press('#input', 'Enter');
  await full.waitForFunction(() => document.querySelectorAll('.stats').length === 2, null, { timeout: 60000 });
  out.overflowNote = await full.locator('.note').allTextContents();
  out.overflowReplies = await full.locator('.msg.assistant').count();
  out.overflowErrors = await full.locator('.msg.error').count();
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
