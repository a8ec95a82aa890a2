// @ts-check
import { apiFetch } from './auth.js';
import { FileTab } from './file-tab.js';
import { readJson } from './json.js';
import { LiveTab } from './live.js';

/** Languages offered when the engine takes any (remote providers); the embedded engine lists its own. */
const COMMON_LANGUAGES = {
  en: 'English',
  de: 'German',
  fr: 'French',
  es: 'Spanish',
  it: 'Italian',
  pt: 'Portuguese',
  nl: 'Dutch',
  pl: 'Polish',
  sv: 'Swedish',
  tr: 'Turkish',
  ru: 'Russian',
  uk: 'Ukrainian',
  ar: 'Arabic',
  hi: 'Hindi',
  zh: 'Chinese',
  ja: 'Japanese',
  ko: 'Korean',
};

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return element;
}

/** Tabs as the ARIA pattern has them: arrow keys move between tabs, Tab moves into the panel. */
function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')].filter((t) => t instanceof HTMLButtonElement);
  const select = (/** @type {HTMLButtonElement} */ chosen) => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      byId(tab.getAttribute('aria-controls') ?? '', HTMLElement).hidden = !selected;
    }
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      const target =
        step !== undefined
          ? tabs[(index + step + tabs.length) % tabs.length]
          : { Home: tabs[0], End: tabs.at(-1) }[event.key];
      if (!target) return;
      event.preventDefault();
      select(target);
      target.focus();
    });
  });
}

/** Fills the language lists from what the active engine says it recognises. */
async function loadEngine() {
  const selects = [byId('live-language', HTMLSelectElement), byId('file-language', HTMLSelectElement)];
  /** @type {string[]} */
  let languages = ['*'];
  try {
    const response = await apiFetch('api/v1/providers');
    if (response.ok) {
      const info = /** @type {import('./api-types').ProviderInfo} */ (await readJson(response));
      languages = info.capabilities.languages;
      byId('engine', HTMLElement).textContent = `Engine: ${info.provider}, model ${info.model}.`;
    }
  } catch {
    // The page still works with the full list; the server refuses languages its engine lacks, with a message.
  }
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const codes = languages.includes('*') ? Object.keys(COMMON_LANGUAGES) : languages;
  for (const select of selects) {
    const options = codes.map((code) => new Option(names.of(code) ?? code, code));
    if (languages.includes('*')) options.unshift(new Option('Detect automatically', ''));
    select.replaceChildren(...options);
  }
}

setUpTabs();
void loadEngine();
new LiveTab({
  start: byId('live-start', HTMLButtonElement),
  stop: byId('live-stop', HTMLButtonElement),
  clear: byId('live-clear', HTMLButtonElement),
  language: byId('live-language', HTMLSelectElement),
  level: byId('live-level', HTMLMeterElement),
  speech: byId('live-speech', HTMLElement),
  status: byId('live-status', HTMLElement),
  alert: byId('live-alert', HTMLElement),
  transcript: byId('live-transcript', HTMLOListElement),
});
new FileTab({
  form: byId('file-form', HTMLFormElement),
  file: byId('file-input', HTMLInputElement),
  language: byId('file-language', HTMLSelectElement),
  format: byId('file-format', HTMLSelectElement),
  submit: byId('file-submit', HTMLButtonElement),
  cancel: byId('file-cancel', HTMLButtonElement),
  progressBox: byId('file-progress-box', HTMLElement),
  progress: byId('file-progress', HTMLProgressElement),
  progressText: byId('file-progress-text', HTMLElement),
  status: byId('file-status', HTMLElement),
  alert: byId('file-alert', HTMLElement),
  result: byId('file-result', HTMLElement),
  text: byId('file-text', HTMLElement),
  segments: byId('file-segments', HTMLTableSectionElement),
  download: byId('file-download', HTMLAnchorElement),
});
