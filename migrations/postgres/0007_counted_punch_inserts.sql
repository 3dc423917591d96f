-- A punch judged from punches the store keeps in memory used to cost the
-- server two PL/pgSQL calls (the lock and check, then the row trigger that
-- bumps punch_seq) and an extra read. Now the store counts those inserts
-- itself: punchbot_lock_check_and_count locks the employees, checks their
-- punch_seq and raises it by the number of punches the transaction is about
-- to insert for each of them, and names them in the transaction-local
-- setting punchbot.counted_punches (each id between chr(31)s); the insert
-- trigger skips their rows.
-- Every other insert, and every update or delete, is still counted by the
-- trigger, whoever makes it.
DROP TRIGGER punches_bump_punch_seq ON punches;
CREATE TRIGGER punches_insert_bumps_punch_seq AFTER INSERT ON punches FOR EACH ROW
    WHEN (strpos(coalesce(current_setting('punchbot.counted_punches', true), ''), chr(31) || NEW.employee_id || chr(31)) = 0)
    EXECUTE FUNCTION punchbot_bump_punch_seq();
CREATE TRIGGER punches_change_bumps_punch_seq AFTER UPDATE OR DELETE ON punches FOR EACH ROW
    EXECUTE FUNCTION punchbot_bump_punch_seq();

-- emps in ascending order (ApplyOrg locks employee rows in that order too);
-- counts[i] punches of emps[i] follow in the same transaction. Each
-- statement of a PL/pgSQL function takes a new snapshot, so each check sees
-- everything committed before its employee's lock was granted. Nothing is
-- kept when any employee's punches changed (SQLSTATE PB001). Employee ids
-- cannot hold chr(31): the organisation file refuses control characters.
CREATE FUNCTION punchbot_lock_check_and_count(lock_class integer, emps text[], seqs bigint[], counts bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. cardinality(emps) LOOP
        PERFORM pg_advisory_xact_lock(lock_class, hashtext(emps[i]));
    END LOOP;
    FOR i IN 1 .. cardinality(emps) LOOP
        UPDATE employees SET punch_seq = punch_seq + counts[i] WHERE id = emps[i] AND punch_seq = seqs[i];
        IF NOT FOUND THEN
            RAISE EXCEPTION 'punches of employee % changed since they were read', emps[i] USING ERRCODE = 'PB001';
        END IF;
    END LOOP;
    PERFORM set_config('punchbot.counted_punches',
        coalesce(current_setting('punchbot.counted_punches', true), '') || chr(31) || array_to_string(emps, chr(31)) || chr(31), true);
END $$;
