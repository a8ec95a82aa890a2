/** Whisper's verbose_json names the language ("english"); clients of this service get ISO-639-1 codes. */
const CODES: Record<string, string> = {
  english: 'en',
  german: 'de',
  french: 'fr',
  spanish: 'es',
  italian: 'it',
  portuguese: 'pt',
  dutch: 'nl',
  russian: 'ru',
  polish: 'pl',
  ukrainian: 'uk',
  turkish: 'tr',
  arabic: 'ar',
  chinese: 'zh',
  japanese: 'ja',
  korean: 'ko',
  hindi: 'hi',
  swedish: 'sv',
  danish: 'da',
  norwegian: 'no',
  finnish: 'fi',
  czech: 'cs',
  greek: 'el',
  hebrew: 'he',
  indonesian: 'id',
  vietnamese: 'vi',
  thai: 'th',
  romanian: 'ro',
  hungarian: 'hu',
  catalan: 'ca',
};

const NAMES: Record<string, string> = Object.fromEntries(Object.entries(CODES).map(([name, code]) => [code, name]));

/** `en` → `english`, as OpenAI's verbose_json names it; an unknown code stays as it is. */
export function toLanguageName(code: string): string {
  return NAMES[code] ?? code;
}

export function toLanguageCode(language: string | undefined): string | undefined {
  if (!language) return undefined;
  const lower = language.toLowerCase();
  return CODES[lower] ?? lower;
}
