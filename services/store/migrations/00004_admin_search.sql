-- The admin page lists one service's connections by email, a page at a time: an index on
-- (service_id, user_email) gives them in that order, so a page reads its rows only, where
-- the index on service_id alone made the database sort every connection of the service.
-- It serves every look-up by service as the old one did, which it replaces.

-- +goose Up
CREATE INDEX connections_by_service_email ON connections (service_id, user_email);
DROP INDEX connections_by_service;

-- +goose Down
CREATE INDEX connections_by_service ON connections (service_id);
DROP INDEX connections_by_service_email;
