/**
 * The numbers a prompt states, as canonical strings ("3", "1000", "2.5"), in order of
 * appearance: digits ("1,000", "2.5", "-4", "3rd"), English number words ("three",
 * "twenty-five", "one hundred and five", "a dozen", "third", "twice") and Chinese numerals
 * ("三", "二十五", "一百"). Two prompts whose numbers differ ask different questions.
 *
 * The reading is deliberately generous: a word that is only sometimes a number ("second",
 * "one of them") still counts. It is used only to refuse a semantic-cache hit, so reading too
 * many numbers costs at worst a cache miss, while missing one could serve a wrong answer.
 */
export function promptNumbers(text: string): string[] {
  const numbers: string[] = [];
  const lower = text.toLowerCase();
  // A hyphen between digits ("3-5") is a range, not a sign: only a leading one is a minus.
  for (const match of lower.matchAll(/(?<![\p{L}\p{N}.])([-−]?)(\d+(?:,\d{3})*(?:\.\d+)?)/gu)) {
    const digits = (match[2] ?? '').replace(/,/g, '');
    const value = Number(digits) * (match[1] ? -1 : 1);
    if (Number.isFinite(value)) numbers.push(String(value));
  }
  numbers.push(...englishNumbers(lower), ...chineseNumbers(text));
  return numbers;
}

const units: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  dozen: 12,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  twentieth: 20,
  once: 1,
  twice: 2,
  thrice: 3,
};
const scales: Record<string, number> = {
  hundred: 100,
  hundredth: 100,
  thousand: 1000,
  thousandth: 1000,
  million: 1_000_000,
  millionth: 1_000_000,
  billion: 1_000_000_000,
};

/** Runs of English number words, each run read as one number ("two hundred and five" is 205). */
function englishNumbers(lower: string): string[] {
  const numbers: string[] = [];
  const words = lower.split(/[^a-z]+/).filter((word) => word.length > 0);
  let total = 0;
  let current = 0;
  let inNumber = false;
  const close = () => {
    if (inNumber) numbers.push(String(total + current));
    total = 0;
    current = 0;
    inNumber = false;
  };
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] ?? '';
    const unit = units[word];
    const scale = scales[word];
    if (unit !== undefined) {
      // "twenty five" and "hundred twenty" add up; "five twenty" and "ten five" are two numbers.
      const tail = current % 100;
      if (inNumber && tail !== 0 && (tail % 10 !== 0 || tail < 20 || unit >= 10)) close();
      current += unit;
      inNumber = true;
    } else if (scale !== undefined) {
      // "a hundred", "hundreds": a scale alone means one of it.
      const base = current === 0 ? 1 : current;
      if (scale >= 1000) {
        total += base * scale;
        current = 0;
      } else {
        current = base * scale;
      }
      inNumber = true;
    } else if (word === 'and' && inNumber && units[words[index + 1] ?? ''] !== undefined) {
      // "one hundred and five": the "and" continues the number.
    } else {
      close();
    }
  }
  close();
  return numbers;
}

const chineseDigits: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  兩: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const chineseUnits: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const chineseSections: Record<string, number> = { 万: 10_000, 萬: 10_000, 亿: 1e8, 億: 1e8 };
/** Common words that contain a numeral but state no number ("together", "some", "in case"). */
const chineseIdioms =
  /一起|一样|一樣|一些|一下|一直|一定|一般|一点|一點|一切|一边|唯一|统一|統一|万一|萬一/g;

/** Runs of Chinese numerals, read with their units: 二十五 is 25, 三百 is 300, 一万 is 10000. */
function chineseNumbers(text: string): string[] {
  const numbers: string[] = [];
  const cleaned = text.replace(chineseIdioms, ' ');
  for (const match of cleaned.matchAll(/[零〇一二两兩三四五六七八九十百千万萬亿億]+/g)) {
    let total = 0;
    let section = 0;
    let digit = 0;
    for (const character of match[0]) {
      const value = chineseDigits[character];
      const unit = chineseUnits[character];
      const big = chineseSections[character];
      if (value !== undefined) {
        digit = value;
      } else if (unit !== undefined) {
        section += (digit === 0 ? 1 : digit) * unit;
        digit = 0;
      } else if (big !== undefined) {
        total += (section + digit === 0 ? 1 : section + digit) * big;
        section = 0;
        digit = 0;
      }
    }
    numbers.push(String(total + section + digit));
  }
  return numbers;
}
