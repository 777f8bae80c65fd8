import { AddressPolicy } from './address-policy';
import { checkWebhookUrl, type ResolveHost } from './webhook-url-guard';

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();

  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'fd00::1',
    'fe80::1',
    'ff02::1',
    '64:ff9b::a00:1',
  ])('refuses %s', (address) => {
    expect(policy.refusal(address, 80)).toEqual(expect.any(String));
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'admits the public address %s',
    (address) => {
      expect(policy.refusal(address, 443)).toBeUndefined();
    },
  );

  it('admits allowlisted addresses, CIDRs and host names, with their port when given', () => {
    const allowing = new AddressPolicy(['127.0.0.1:8080', '10.1.0.0/16', 'hooks.internal']);
    expect(allowing.refusal('127.0.0.1', 8080)).toBeUndefined();
    expect(allowing.refusal('::ffff:127.0.0.1', 8080)).toBeUndefined();
    expect(allowing.refusal('127.0.0.1', 8081)).toEqual(expect.any(String));
    expect(allowing.refusal('10.1.2.3', 1)).toBeUndefined();
    expect(allowing.refusal('10.2.0.1', 1)).toEqual(expect.any(String));
    expect(allowing.allowsHost('HOOKS.internal', 443)).toBe(true);
    expect(allowing.allowsHost('other.internal', 443)).toBe(false);
  });

  it('refuses a malformed allowlist at start', () => {
    expect(() => new AddressPolicy(['10.0.0.0/99'])).toThrow(/CIDR/);
    expect(() => new AddressPolicy(['bad host!'])).toThrow(/allowlist/);
  });
});

describe('checkWebhookUrl', () => {
  const policy = new AddressPolicy();
  // A resolver standing in for DNS, so public and private names are deterministic offline.
  const resolve: ResolveHost = async (hostname) => {
    const table: Record<string, string[]> = {
      'hooks.example.com': ['93.184.216.34'],
      'sneaky.example.com': ['93.184.216.34', '10.0.0.7'],
      'rebind.example.com': ['127.0.0.1'],
    };
    const addresses = table[hostname];
    if (!addresses) throw new Error('ENOTFOUND');
    return addresses;
  };

  it.each([
    ['http://169.254.169.254/latest/meta-data/', /link-local/i],
    ['http://10.0.0.1/', /private/],
    ['http://[::1]/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://100.64.1.1/', /carrier-grade NAT/],
    ['http://0x7f.1/', /loopback/],
    ['http://rebind.example.com/', /loopback/],
    ['http://sneaky.example.com/', /private/],
    ['ftp://hooks.example.com/', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['http://user:pass@hooks.example.com/', /credentials/],
    ['http://nowhere.example.com/', /does not resolve/],
  ])('refuses %s', async (url, reason) => {
    await expect(checkWebhookUrl(url, policy, resolve)).rejects.toMatchObject({
      name: 'WebhookUrlError',
      message: expect.stringMatching(reason),
    });
  });

  it('refuses localhost through the real resolver', async () => {
    await expect(checkWebhookUrl('http://localhost:9/', policy)).rejects.toMatchObject({
      name: 'WebhookUrlError',
      message: expect.stringMatching(/loopback/),
    });
  });

  it('admits a public https URL', async () => {
    const target = await checkWebhookUrl('https://hooks.example.com/llmq', policy, resolve);
    expect(target).toMatchObject({ hostname: 'hooks.example.com', port: 443 });
  });
});
