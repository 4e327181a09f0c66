DROP FUNCTION bouncer_revoke_batch(TEXT[], TEXT[], BIGINT[], TEXT[], BIGINT[], BIGINT[], BIGINT[]);
