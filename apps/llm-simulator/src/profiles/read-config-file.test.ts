import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelProfiles } from './model-profiles';
import { readConfigFile } from './read-config-file';

describe('readConfigFile', () => {
  const directory = mkdtempSync(join(tmpdir(), 'llm-simulator-config-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const write = (name: string, content: string) => {
    const path = join(directory, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads per-model patches that ModelProfiles merges over the defaults', () => {
    const config = readConfigFile(
      write(
        'good.json',
        JSON.stringify({ models: { 'sim-slow': { latencyMs: 50, faults: { status429: 0.1 } } } }),
      ),
    );
    const profile = new ModelProfiles(config.models).resolve('sim-slow');
    expect(profile).toMatchObject({ latencyMs: 50, tokensPerSecond: 0 });
    expect(profile.faults).toMatchObject({ status429: 0.1, retryAfterSeconds: 1 });
  });

  it('names SIMULATOR_CONFIG and the problem when the file is bad', () => {
    expect(() => readConfigFile(join(directory, 'missing.json'))).toThrow(
      /SIMULATOR_CONFIG.*missing\.json/,
    );
    expect(() =>
      readConfigFile(write('bad.json', '{"models": {"sim-a": {"latency": 5}}}')),
    ).toThrow(/SIMULATOR_CONFIG.*latency/s);
    expect(() => readConfigFile(write('real.json', '{"models": {"gpt-4o": {}}}'))).toThrow(/sim-/);
  });
});
