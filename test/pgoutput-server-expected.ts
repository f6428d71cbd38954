/**
 * What pgoutput protocol 1 must deliver for the workload in
 * pgoutput-server-workload.ts: committed transactions in commit order, one
 * line per message (see describeChange), values in PostgreSQL text format.
 */
import { bigRows, originLsnText, toastedNote, type WorkloadXids } from './pgoutput-server-workload.js';

function bigInserts(from: number, letter: string): string[] {
  const payload = JSON.stringify(letter.repeat(100));
  return Array.from({ length: bigRows }, (_, i) => `INSERT public.big ("${from + i}", ${payload})`);
}

export function expectedTransactions(
  x: WorkloadXids,
  moodOid: number,
): Array<{ xid: number; lines: string[] }> {
  const items = `RELATION public.items identity=d id:23:key name:25 note:25 m:${moodOid}`;
  const mood = `TYPE public.mood ${moodOid}`;
  const fullRows = 'RELATION public.full_rows identity=f a:23:key b:25:key';
  const big = 'RELATION public.big identity=d id:23 payload:25';
  return [
    {
      xid: x.inserted,
      lines: [
        mood,
        items,
        'INSERT public.items ("1", "Zoë", "short", "happy")',
        'INSERT public.items ("2", null, "", "sad")',
      ],
    },
    {
      xid: x.multiStatement,
      lines: [
        'INSERT public.items ("3", "three", null, null)',
        'UPDATE public.items ("1", "Zoé 😀", "short", "happy")',
        'DELETE public.items key ("2", null, null, null)',
      ],
    },
    { xid: x.toasted, lines: [`INSERT public.items ("4", "toast", "${toastedNote}", "sad")`] },
    { xid: x.unchangedToast, lines: ['UPDATE public.items ("4", "toasted", UNCHANGED, "sad")'] },
    {
      xid: x.keyChanged,
      lines: ['UPDATE public.items key ("3", null, null, null) → ("30", "three", null, null)'],
    },
    {
      xid: x.identityFull,
      lines: [
        fullRows,
        'INSERT public.full_rows ("1", "a")',
        'UPDATE public.full_rows full ("1", "a") → ("1", "b")',
        'DELETE public.full_rows full ("1", "b")',
      ],
    },
    {
      xid: x.afterAddColumn,
      lines: [mood, `${items} extra:23`, 'INSERT public.items ("5", "five", null, "happy", "42")'],
    },
    { xid: x.transactionalMessage, lines: ['MESSAGE transactional pga transactional ü'] },
    { xid: 0, lines: ['MESSAGE non-transactional pga not transactional'] },
    {
      xid: x.fromOrigin,
      lines: [
        `ORIGIN upstream ${originLsnText}`,
        'INSERT public.items ("6", "from origin", null, null, null)',
      ],
    },
    { xid: x.bigStreamed, lines: [big, ...bigInserts(1, 'x')] },
    { xid: x.preparedCommitted, lines: ['INSERT public.items ("7", "prepared", null, null, null)'] },
    { xid: x.bigPrepared, lines: bigInserts(bigRows + 1, 'z') },
    { xid: x.truncated, lines: [fullRows, big, 'TRUNCATE cascade restart public.full_rows, public.big'] },
  ];
}
