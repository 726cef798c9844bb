// node-influx (the `influx` package, InfluxDB 1.x's JavaScript client) writing to LumaDB's /write:
// the database is LumaDB's database, the retention policy its time-series collection, and the
// username and password a LumaDB user's. InfluxQL queries are not LumaDB's: the points are read
// back through _tsquery.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import Influx from 'influx';
import {
  BASE_URL,
  assertSamePoints,
  canonical,
  databaseUser,
  readBack,
  timeSeriesCollection,
} from './support.js';

const { InfluxDB, FieldType } = Influx;

/** Nanoseconds per unit of each precision InfluxDB 1.x's /write takes. */
const NANOS = { n: 1n, u: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** A node-influx client for `db` as `user`, with a schema that makes `sensor`'s integers integers. */
function client(db, user) {
  const url = new URL(BASE_URL);
  return new InfluxDB({
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    database: db,
    username: user.name,
    password: user.password,
    schema: [
      {
        measurement: 'sensor',
        fields: { temperature: FieldType.FLOAT, readings: FieldType.INTEGER, ok: FieldType.BOOLEAN, note: FieldType.STRING },
        tags: ['room', 'floor'],
      },
    ],
  });
}

test('v1 client: writePoints to db and retention policy, in six precisions, reads back exactly', async () => {
  const target = await timeSeriesCollection('influx-v1');
  const influx = client(target.db, await databaseUser(target.db));
  const expected = [];
  const rooms = ['lab 1, east', 'hall=main'];

  for (const [k, [precision, unit]] of Object.entries(NANOS).entries()) {
    // A time of its own for each precision and room, so no two points share a series and time.
    const base = 1764547200123456789n / unit + BigInt(2 * k);
    const points = [];
    for (const [i, room] of rooms.entries()) {
      const t = base + BigInt(i);
      // Times as node-influx takes them: digit strings in the precision, numbers where they are
      // exact, and (in milliseconds) Dates, which it converts itself.
      const timestamp =
        precision === 'ms' ? new Date(Number(t)) : i === 1 && Number.isSafeInteger(Number(t)) ? Number(t) : String(t);
      points.push({
        measurement: 'sensor',
        tags: { room, floor: `${i + 1}` },
        fields: { temperature: 20.25 + i, readings: 1_000_000 * (i + 1), ok: i === 0, note: `"${precision}" \\ ${room}` },
        timestamp,
      });
      expected.push(
        canonical({
          measurement: 'sensor',
          tags: { room, floor: `${i + 1}` },
          fields: {
            temperature: { float: 20.25 + i },
            readings: { integer: BigInt(1_000_000 * (i + 1)) },
            ok: { boolean: i === 0 },
            note: { string: `"${precision}" \\ ${room}` },
          },
          time: t * unit,
        }),
      );
      // Without a schema node-influx writes numbers as floats.
      points.push({ measurement: 'free', tags: { room }, fields: { level: i * 1.5, count: 3 }, timestamp });
      expected.push(
        canonical({
          measurement: 'free',
          tags: { room },
          fields: { level: { float: i * 1.5 }, count: { float: 3 } },
          time: t * unit,
        }),
      );
    }
    await influx.writePoints(points, { database: target.db, retentionPolicy: target.collection, precision });
  }

  assertSamePoints(await readBack(target), expected, 'points written by node-influx');
});

test('v1 client: a field type conflict rejects writePoints with LumaDB\'s message', async () => {
  const target = await timeSeriesCollection('influx-v1-conflict');
  const influx = client(target.db, await databaseUser(target.db));
  const write = (points) => influx.writePoints(points, { retentionPolicy: target.collection });
  await write([{ measurement: 'free', tags: { room: 'r' }, fields: { reading: 'text' }, timestamp: '1000' }]);
  await assert.rejects(
    write([
      { measurement: 'free', tags: { room: 'r' }, fields: { reading: 2.5 }, timestamp: '2000' },
      { measurement: 'free', tags: { room: 's' }, fields: { reading: 3.5 }, timestamp: '2000' },
    ]),
    (e) => {
      assert.equal(e.constructor.name, 'RequestError', `not a RequestError: ${e}`);
      assert.match(e.message, /^A 400 Bad Request error occurred: /);
      assert.match(e.message, /partial write: 1 point not written, 1 written/);
      assert.match(e.message, /field 'reading' is STRING in series free,room=r; the point gives FLOAT/);
      return true;
    },
  );
  assertSamePoints(
    await readBack(target),
    [
      canonical({ measurement: 'free', tags: { room: 'r' }, fields: { reading: { string: 'text' } }, time: 1000n }),
      canonical({ measurement: 'free', tags: { room: 's' }, fields: { reading: { float: 3.5 } }, time: 2000n }),
    ],
    'after the conflict',
  );
});

test('v1 client: a wrong password is refused with 401', async () => {
  const target = await timeSeriesCollection('influx-v1-auth');
  const user = await databaseUser(target.db);
  const influx = client(target.db, { name: user.name, password: `${user.password}-wrong` });
  await assert.rejects(
    influx.writePoints([{ measurement: 'free', fields: { v: 1 }, timestamp: '1' }], { retentionPolicy: target.collection }),
    /^Error: A 401 /,
  );
  assert.deepEqual(await readBack(target), []);
});
