-- Migration: 0001_init
-- Created: 2026-11-24T04:14:43Z
-- Checksum: sha256:92da91d2fd4ade14127e7298b74b3438c103cc5a6e564a66198e863089338b86

CREATE TABLE todos (
    id INTEGER NOT NULL, 
    title VARCHAR(200) NOT NULL, 
    done BOOLEAN DEFAULT '0' NOT NULL, 
    created_at DATETIME NOT NULL, 
    PRIMARY KEY (id)
);

-- @rollback

DROP TABLE todos;
