// The browser's half of the check the Rust tests make of pages as served (src/web/zh_guard.rs):
// what a zh-CN page shows once its scripts ran holds no English sentence (three words of ASCII
// letters in a row), no raw code (`[a-z]+_[a-z_]+`) and no ISO timestamp.

/**
 * Throws, naming `what` and each problem, unless `page` speaks Chinese. `except` lists selectors
 * of text not yet in words, each with why, so that what is left out is said where it is left out.
 */
export async function assertSpeaksChinese(page, what, except = []) {
  const { lang, text } = await page.evaluate((selectors) => {
    // What is left out is hidden while the page's text is read (its rendered text, as shown).
    const hidden = selectors.flatMap((s) => [...document.querySelectorAll(s)]).map((el) => [el, el.style.display]);
    for (const [el] of hidden) el.style.display = 'none';
    const shown = document.body.innerText;
    for (const [el, display] of hidden) el.style.display = display;
    return { lang: document.documentElement.lang, text: shown };
  }, except.map(([selector]) => selector));
  const problems = [];
  if (lang !== 'zh-CN') problems.push(`the page is ${lang}, not zh-CN`);
  const rules = [
    ['English', /(?<![A-Za-z0-9_])[A-Za-z]+(?: [A-Za-z]+){2,}(?![A-Za-z0-9_])/g],
    ['raw code', /[a-z]+_[a-z_]+/g],
    ['ISO time', /\d{4}-\d\d-\d\dT/g],
  ];
  for (const [name, re] of rules) {
    for (const m of text.matchAll(re)) problems.push(`${name}: …${text.slice(Math.max(0, m.index - 20), m.index + 40)}…`);
  }
  if (problems.length) throw new Error(`${what} does not speak Chinese:\n  ${problems.join('\n  ')}`);
}
