//! The Little Lemon tables as diesel sees them, written by hand to match `migrations/`.

diesel::table! {
    menu_items (id) {
        id -> BigInt,
        title -> Text,
        price_cents -> BigInt,
        inventory -> Integer,
    }
}

diesel::table! {
    ratings (id) {
        id -> BigInt,
        user_id -> BigInt,
        /// The tutorial's `SmallIntegerField`: a number, not a foreign key.
        menuitem_id -> SmallInt,
        rating -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(menu_items, ratings);
