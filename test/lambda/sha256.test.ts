import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../lambda/shared/sha256';

/**
 * lambda/shared/sha256.ts on its own: SHA-256 and HMAC-SHA-256 checked against published test
 * vectors (FIPS 180-2 and RFC 4231), for every kind of input @smithy/signature-v4 hands it, and the
 * signer using it reproducing a signature of AWS's Signature Version 4 test suite.
 */

const hex = async (hash: NodeSha256) => Buffer.from(await hash.digest()).toString('hex');
const sha256 = (...parts: (string | ArrayBuffer | ArrayBufferView)[]) => {
  const hash = new NodeSha256();
  for (const part of parts) hash.update(part);
  return hex(hash);
};
const hmac = (secret: string | ArrayBuffer | ArrayBufferView, data: string | ArrayBuffer | ArrayBufferView) => {
  const hash = new NodeSha256(secret);
  hash.update(data);
  return hex(hash);
};

// FIPS 180-2, appendix B.1, and the digest of no input.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
// RFC 4231, test case 2: key "Jefe".
const JEFE = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
const JEFE_DATA = 'what do ya want for nothing?';

describe('NodeSha256 as SHA-256', () => {
  test('the published digests of "abc" and of nothing, as 32 bytes', async () => {
    const digest = await (() => {
      const hash = new NodeSha256();
      hash.update('abc');
      return hash.digest();
    })();
    expect(digest).toBeInstanceOf(Uint8Array);
    expect(digest).toHaveLength(32);
    expect(Buffer.from(digest).toString('hex')).toBe(ABC);
    expect(await hex(new NodeSha256())).toBe(EMPTY);
  });

  test('input in parts is hashed as the whole', async () => {
    expect(await sha256('a', 'b', 'c')).toBe(ABC);
    expect(await sha256('', 'abc', '')).toBe(ABC);
  });

  test('a string is hashed as its UTF-8 bytes', async () => {
    const text = 'naïve café – 東京 😀';
    expect(await sha256(text)).toBe(await sha256(new TextEncoder().encode(text)));
    expect(await sha256('é')).toBe(await sha256(Uint8Array.of(0xc3, 0xa9)));
  });

  test('bytes of every kind: a Uint8Array, an ArrayBuffer, a DataView, a Buffer', async () => {
    const bytes = new TextEncoder().encode('abc');
    expect(await sha256(bytes)).toBe(ABC);
    expect(await sha256(bytes.buffer)).toBe(ABC);
    expect(await sha256(new DataView(bytes.buffer))).toBe(ABC);
    expect(await sha256(Buffer.from('abc'))).toBe(ABC);
    expect(await sha256(Uint16Array.of(0x6261))).toBe(await sha256('ab'));
  });

  test('a view into a larger buffer is hashed as the bytes it shows, not the whole buffer', async () => {
    const whole = new TextEncoder().encode('xxabcyyyy');
    expect(await sha256(whole.subarray(2, 5))).toBe(ABC);
    expect(await sha256(new DataView(whole.buffer, 2, 3))).toBe(ABC);
    expect(await sha256(Buffer.from(whole.buffer, 2, 3))).toBe(ABC);
  });
});

describe('NodeSha256 as HMAC-SHA-256', () => {
  test('the published HMAC of RFC 4231’s test case 2, whatever the kind of key and data', async () => {
    const key = new TextEncoder().encode('Jefe');
    expect(await hmac('Jefe', JEFE_DATA)).toBe(JEFE);
    expect(await hmac(key, JEFE_DATA)).toBe(JEFE);
    expect(await hmac(key.buffer, JEFE_DATA)).toBe(JEFE);
    expect(await hmac(new TextEncoder().encode(`..Jefe..`).subarray(2, 6), new TextEncoder().encode(JEFE_DATA))).toBe(JEFE);
  });

  test('a key is not a prefix: an empty key is still an HMAC, not a plain hash', async () => {
    expect(await hmac('', 'abc')).not.toBe(ABC);
    expect(await hmac('', '')).toBe('b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad');
  });
});

describe('NodeSha256 in @smithy/signature-v4', () => {
  // AWS's Signature Version 4 test suite, "get-header-key-duplicate"
  // (https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html).
  test('the signer reproduces the test suite’s signature', async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      region: 'us-east-1',
      service: 'service',
      sha256: NodeSha256,
      // The suite predates the x-amz-content-sha256 header, which the signer otherwise adds and signs.
      applyChecksum: false,
    });
    const request = {
      protocol: 'https:',
      method: 'GET',
      hostname: 'example.amazonaws.com',
      path: '/',
      query: {},
      headers: { host: 'example.amazonaws.com', 'my-header1': 'value2,value2,value1', 'x-amz-date': '20150830T123600Z' },
    };
    const signed = await signer.sign(request, { signingDate: new Date('2015-08-30T12:36:00Z') });
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, ' +
        'Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
    );
  });
});
