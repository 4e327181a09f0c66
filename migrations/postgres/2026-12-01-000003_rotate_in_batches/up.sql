-- Several refreshes in one statement and one transaction: each instance sends the rotations
-- waiting at a given moment together, so a batch costs one round trip and one WAL flush
-- instead of one of each per refresh. Each rotation is bouncer_rotate's, step for step, in its
-- own subtransaction: one that fails answers -3 and leaves the others of its batch alone.
-- The caller orders a batch by old_jti, so concurrent batches (other instances) take the
-- blacklist's unique-index locks in one order and cannot deadlock on them.
CREATE FUNCTION bouncer_rotate_batch(
    old_jtis TEXT[],
    old_sids TEXT[],
    old_user_ids BIGINT[],
    old_expires_ats BIGINT[],
    blacklist_olds BOOLEAN[],
    new_jtis TEXT[],            -- NULL entries when rotation is off
    new_created_ats BIGINT[],
    new_expires_ats BIGINT[],
    access_horizons BIGINT[],
    now_tss BIGINT[]
) RETURNS BIGINT[]
LANGUAGE plpgsql AS $$
DECLARE
    answers BIGINT[] := '{}';
    answer BIGINT;
BEGIN
    FOR i IN 1 .. coalesce(array_length(old_jtis, 1), 0) LOOP
        BEGIN
            answer := bouncer_rotate(
                old_jtis[i], old_sids[i], old_user_ids[i], old_expires_ats[i], blacklist_olds[i],
                new_jtis[i], new_created_ats[i], new_expires_ats[i], access_horizons[i], now_tss[i]
            );
        EXCEPTION WHEN OTHERS THEN
            answer := -3;
        END;
        answers := answers || answer;
    END LOOP;
    RETURN answers;
END;
$$;
