// Writes web/test/fixtures/js-sealed.{bhseal,json}: an envelope sealed by the JS implementation
// through its production path, which the Rust tests open. Run once with
// `node web/test/make-js-fixture.mjs --write` and commit the output; rerun only when the format
// changes. Without --write it does nothing, because `node --test web/test/` also runs this file.

import { writeFile, open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import {
  generateCustodianKey, sealEnvelope, tarArchive, toHex, BID_JSON,
} from '../static/js/sealbox.js';

if (!process.argv.includes('--write')) {
  console.log('make-js-fixture: not regenerating (pass --write to rewrite the committed fixture)');
  process.exit(0);
}

const subtle = globalThis.crypto.subtle;
const here = new URL('./fixtures/', import.meta.url);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const passphrase = 'custodian one passphrase (js), 2026';
const custodians = [];
for (let i = 0; i < 4; i++) {
  custodians.push(await generateCustodianKey({ exportKeyFile: true, backupPassphrase: i === 0 ? passphrase : null }));
}
const tenderer = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
const tendererPublic = new Uint8Array(await subtle.exportKey('raw', tenderer.publicKey));

const bid = new TextEncoder().encode(JSON.stringify({
  price_fen: '45600000', duration_days: 90, declared_terms: ['sealed by the JS implementation'],
}));
const drawing = Uint8Array.from({ length: 150000 }, (_, j) => (j * 7 + 3) % 256);
const payload = tarArchive([
  { name: BID_JSON, data: bid },
  { name: 'attachments/图纸.bin', data: new Blob([drawing]) },
]);
const payloadBytes = new Uint8Array(await payload.arrayBuffer());

const file = await open(new URL('js-sealed.bhseal', here), 'w');
const hash = createHash('sha256');
const params = { tenderId: 'ZFCG-2026-0100', lotId: '标段-03', tendererId: '91440300MA5F6G7H8J', k: 3 };
await sealEnvelope({
  ...params,
  custodians: custodians.map((c) => c.publicKey),
  signingKey: tenderer.privateKey,
  payload,
  onChunk: async (bytes) => {
    hash.update(bytes);
    await file.write(bytes);
  },
});
await file.close();

const doc = {
  sealed_by: 'js',
  tender_id: params.tenderId,
  lot_id: params.lotId,
  tenderer_id: params.tendererId,
  k: params.k,
  tenderer_public_key: toHex(tendererPublic),
  custodian_key_files: custodians.map((c) => c.keyFile),
  custodian_1_backup: custodians[0].backup,
  backup_passphrase: passphrase,
  payload_length: payloadBytes.length,
  payload_sha256: sha256(payloadBytes),
  envelope_sha256: hash.digest('hex'),
  files: [
    { name: BID_JSON, sha256: sha256(bid) },
    { name: 'attachments/图纸.bin', sha256: sha256(drawing) },
  ],
};
await writeFile(new URL('js-sealed.json', here), JSON.stringify(doc, null, 2) + '\n');
console.log('wrote web/test/fixtures/js-sealed.bhseal and js-sealed.json');
