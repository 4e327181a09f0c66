-- The second tutorial's model: `menuitem_id = models.SmallIntegerField()`, a number and not a
-- foreign key, so a rating of item 3 is accepted with no menu at all (step 14 of the
-- exercise). SQLite cannot drop a foreign key in place: the table is rebuilt. Ratings of
-- deleted menu items stay, as they do in Django with this model. The CHECK holds the field's
-- documented range (Django: -32768 to 32767), which the serializer enforces first.
CREATE TABLE ratings_small (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL,
    menuitem_id SMALLINT NOT NULL CHECK (menuitem_id BETWEEN -32768 AND 32767),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
    UNIQUE (user_id, menuitem_id)
);
INSERT INTO ratings_small (id, user_id, menuitem_id, rating)
    SELECT id, user_id, menuitem_id, rating FROM ratings
    WHERE menuitem_id BETWEEN -32768 AND 32767;
DROP TABLE ratings;
ALTER TABLE ratings_small RENAME TO ratings;
