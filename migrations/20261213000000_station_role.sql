-- What a station does at the race (desk, finish, director), as it said
-- when it joined: the director's Stations view shows it.
ALTER TABLE sync_station ADD COLUMN role TEXT;
