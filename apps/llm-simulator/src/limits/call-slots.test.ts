import { CallSlots } from './call-slots';

const open = () => new AbortController().signal;

test('without a limit every call gets through at once', async () => {
  const slots = new CallSlots();
  const releases = await Promise.all([1, 2, 3].map(() => slots.acquire('m', undefined, open())));
  expect(releases.every((release) => typeof release === 'function')).toBe(true);
});

test('calls beyond the limit wait in line and take slots as they free up, in order', async () => {
  const slots = new CallSlots();
  const order: number[] = [];
  const first = await slots.acquire('m', 1, open());
  const second = slots.acquire('m', 1, open()).then((release) => {
    order.push(2);
    return release;
  });
  const third = slots.acquire('m', 1, open()).then((release) => {
    order.push(3);
    return release;
  });
  // Another model has its own slots.
  expect(await slots.acquire('other', 1, open())).toEqual(expect.any(Function));
  await Promise.resolve();
  expect(order).toEqual([]);
  first?.();
  (await second)?.();
  (await third)?.();
  expect(order).toEqual([2, 3]);
});

test('a caller that leaves while waiting gives up its place', async () => {
  const slots = new CallSlots();
  const first = await slots.acquire('m', 1, open());
  const controller = new AbortController();
  const leaving = slots.acquire('m', 1, controller.signal);
  const staying = slots.acquire('m', 1, open());
  controller.abort();
  await expect(leaving).resolves.toBeUndefined();
  first?.();
  await expect(staying).resolves.toEqual(expect.any(Function));
});
