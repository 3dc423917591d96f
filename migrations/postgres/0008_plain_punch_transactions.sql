-- The store no longer judges punches from punches it keeps in memory: each
-- punch reads them inside its transaction, under the employee's lock. What
-- existed only to tell the store that its copy was still current goes:
-- employees.punch_seq, the triggers that counted every change to an
-- employee's punches (0001, 0007), the lock-and-check functions the store
-- called (0001, 0007).
DROP TRIGGER punches_insert_bumps_punch_seq ON punches;
DROP TRIGGER punches_change_bumps_punch_seq ON punches;
DROP TRIGGER punches_truncate_bumps_punch_seqs ON punches;
DROP FUNCTION punchbot_bump_punch_seq();
DROP FUNCTION punchbot_bump_all_punch_seqs();
DROP FUNCTION punchbot_lock_and_expect_punch_seq(integer, text, bigint);
DROP FUNCTION punchbot_lock_check_and_count(integer, text[], bigint[], bigint[]);
ALTER TABLE employees DROP COLUMN punch_seq;

-- Punch ids are no longer reserved 64 at a time: the identity counts by
-- one again. Ids up to 63 past the sequence's last value may have been
-- handed out from its last block, so it continues after them.
ALTER TABLE punches ALTER COLUMN id SET INCREMENT BY 1;
SELECT setval(pg_get_serial_sequence('punches', 'id'), last_value + 63) FROM punches_id_seq WHERE is_called;
