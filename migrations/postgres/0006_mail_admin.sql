-- The admin's mail page and the user list find an address's newest message.
CREATE INDEX outbox_to_addr ON outbox (lower(to_addr), id);
