import { toLanguageCode, toLanguageName } from './language-codes';

describe('language codes', () => {
  it.each([
    ['english', 'en'],
    ['English', 'en'],
    ['GERMAN', 'de'],
    ['en', 'en'],
    ['Klingon', 'klingon'],
    [undefined, undefined],
    ['', undefined],
  ])('reads the response language %j as %j', (language, code) => expect(toLanguageCode(language)).toBe(code));

  it.each([
    ['en', 'english'],
    ['zh', 'chinese'],
    ['xx', 'xx'],
  ])('names %s as OpenAI does: %s', (code, name) => expect(toLanguageName(code)).toBe(name));
});
