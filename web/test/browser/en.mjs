// The English twin of zh.mjs: what an English page shows once its scripts ran holds no raw code
// (`[a-z]+_[a-z_]+`), no ISO timestamp, and none of the page's own words left in Chinese. The
// hall's data stays as entered (organisations, titles, places are Chinese in the demo), so the
// check reads the page's own words — labels, buttons, table and list headings, captions, badges,
// the navigation, the status lines — after taking out the data the caller names in `data`.

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;

/**
 * Throws, naming `what` and each problem, unless `page` speaks English. `data` lists strings of
 * the hall's data (names, titles) that may appear in the page's own words; `except` lists
 * selectors of text left out, each with why.
 */
export async function assertSpeaksEnglish(page, what, data = [], except = []) {
  const { lang, text, words } = await page.evaluate((selectors) => {
    const skipped = selectors.flatMap((s) => [...document.querySelectorAll(s)]);
    const inSkipped = (el) => skipped.some((s) => s.contains(el));
    // What is left out is hidden while the page's text is read (its rendered text, as shown).
    const hidden = skipped.map((el) => [el, el.style.display]);
    for (const [el] of hidden) el.style.display = 'none';
    const shown = document.body.innerText;
    for (const [el, display] of hidden) el.style.display = display;
    const own = 'label, button, th, legend, caption, summary, dt, .badge, nav a, .lang-switch, [role="status"], .alert, .hint';
    const words = [...document.querySelectorAll(own)]
      .filter((el) => el.getClientRects().length && !inSkipped(el))
      // A heading's or label's code (a project code, an account number) is data.
      .map((el) => {
        const copy = el.cloneNode(true);
        for (const c of copy.querySelectorAll('code, time, [lang="zh-CN"], a[href^="/tenders/"], a[href^="/draws/"]')) c.remove();
        return copy.textContent.replace(/\s+/g, ' ').trim();
      })
      .filter(Boolean);
    return { lang: document.documentElement.lang, text: shown, words };
  }, except.map(([selector]) => selector));
  const problems = [];
  if (lang !== 'en') problems.push(`the page is ${lang}, not en`);
  for (const [name, re] of [['raw code', /[a-z]+_[a-z_]+/g], ['ISO time', /\d{4}-\d\d-\d\dT/g]]) {
    for (const m of text.matchAll(re)) problems.push(`${name}: …${text.slice(Math.max(0, m.index - 20), m.index + 40)}…`);
  }
  const known = [...data].filter(Boolean).sort((a, b) => b.length - a.length);
  for (const w of new Set(words)) {
    let rest = w;
    for (const d of known) rest = rest.split(d).join(' ');
    if (HAN.test(rest)) problems.push(`in Chinese: ${w}`);
  }
  if (process.env.BIDHALL_EN_AUDIT) {
    // Every text on the page still in Chinese once the data is taken out, to read through.
    const all = await page.evaluate(() => {
      const out = [];
      const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (n.parentElement?.getClientRects().length && /[\u3400-\u9fff]/.test(n.textContent)) out.push(n.textContent.trim());
      }
      return out;
    });
    for (const w of new Set(all)) {
      let rest = w;
      for (const d of known) rest = rest.split(d).join(' ');
      if (HAN.test(rest)) console.log(`[en audit] ${what}: ${w.slice(0, 120)}`);
    }
  }
  if (problems.length) throw new Error(`${what} does not speak English:\n  ${problems.join('\n  ')}`);
}
