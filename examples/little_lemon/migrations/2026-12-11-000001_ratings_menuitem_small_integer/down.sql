-- Back to a foreign key: ratings of items that no longer exist cannot come along.
CREATE TABLE ratings_fk (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL,
    menuitem_id BIGINT NOT NULL REFERENCES menu_items (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
    UNIQUE (user_id, menuitem_id)
);
INSERT INTO ratings_fk (id, user_id, menuitem_id, rating)
    SELECT id, user_id, menuitem_id, rating FROM ratings
    WHERE menuitem_id IN (SELECT id FROM menu_items);
DROP TABLE ratings;
ALTER TABLE ratings_fk RENAME TO ratings;
