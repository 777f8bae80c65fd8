import { promptNumbers } from './prompt-numbers';
import { countNegations, guardFeatures, guardsAgree } from './semantic-guards';

const agree = (left: string, right: string) =>
  guardsAgree(guardFeatures(left), guardFeatures(right));

describe('countNegations', () => {
  it.each([
    ['Is this drug safe for children?', 0],
    ['Is this drug not safe for children?', 1],
    ["Isn't this drug safe? I can’t tell", 2],
    ['Never say no', 2],
    ['I cannot go without you', 2],
    ['这个药对儿童安全吗？', 0],
    ['这个药对儿童不安全吗？', 1],
    ['我没有钱', 1],
    ['非常好，不过我们走吧', 0],
    ['Das ist nicht gut', 1],
  ])('%s has %i', (text, count) => {
    expect(countNegations(text)).toBe(count);
  });
});

describe('promptNumbers', () => {
  it.each([
    ['Give me 3 ideas', ['3']],
    ['Give me three ideas', ['3']],
    ['twenty-five, one hundred and five, two thousand five hundred', ['25', '105', '2500']],
    ['a dozen eggs and a hundred apples', ['12', '100']],
    ['the 3rd and the third, then 1,000 and 2.5', ['3', '1000', '2.5', '3']],
    ['from 3-5 degrees to -4', ['3', '5', '-4']],
    ['one hundred twenty five', ['125']],
    ['five twenty', ['5', '20']],
    ['给我三个主意', ['3']],
    ['二十五个和一百零五个', ['25', '105']],
    ['我们一起去', []],
    ['What is the capital of France?', []],
  ])('%s states %j', (text, numbers) => {
    expect(promptNumbers(text)).toEqual(numbers);
  });
});

describe('guardsAgree', () => {
  it('refuses a negated question and a different number', () => {
    expect(agree('Is this drug safe for children?', 'Is this drug not safe for children?')).toBe(
      false,
    );
    expect(agree('Give me 3 ideas', 'Give me 5 ideas')).toBe(false);
    expect(agree('Give me three ideas', 'Give me 5 ideas')).toBe(false);
    expect(agree('给我三个主意', '给我五个主意')).toBe(false);
    expect(agree('这个药安全吗', '这个药不安全吗')).toBe(false);
  });

  it('accepts paraphrases that keep negation and numbers', () => {
    expect(agree('What is the capital of France?', "what's the capital of france")).toBe(true);
    expect(agree('Give me three ideas', 'Give me 3 ideas, please')).toBe(true);
    expect(agree("Isn't it safe?", 'Is it not safe?')).toBe(true);
  });
});
