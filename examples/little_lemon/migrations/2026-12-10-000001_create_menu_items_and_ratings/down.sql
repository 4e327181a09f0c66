DROP TABLE ratings;
DROP TABLE menu_items;
