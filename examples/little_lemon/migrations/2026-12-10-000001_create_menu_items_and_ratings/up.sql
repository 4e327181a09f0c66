-- The tutorial's two models. `price` is kept as integer cents (DRF's DecimalField with
-- max_digits=6, decimal_places=2 fits easily) so no decimal type is needed in Rust.
CREATE TABLE menu_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents > 0),
    inventory INTEGER NOT NULL CHECK (inventory >= 0)
);

-- `user_id` is a user of bouncer's database (another file), so it cannot be a foreign key
-- here; the menu item can, and its ratings go with it. UNIQUE (user_id, menuitem_id) is the
-- serializer's UniqueTogetherValidator, enforced where two concurrent posts cannot both pass.
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL,
    menuitem_id BIGINT NOT NULL REFERENCES menu_items (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
    UNIQUE (user_id, menuitem_id)
);
