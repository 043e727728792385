-- The language a person chose for pages and mail (a catalogue's tag, such
-- as "cy"); NULL: as their browser asks, and mail in the site's default or
-- the language of the request that sends it.
ALTER TABLE users ADD COLUMN language TEXT;
