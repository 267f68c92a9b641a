-- Migration: 0002_add_projects
-- Created: 2026-11-24T04:14:43Z
-- Checksum: sha256:8b962e4d70821c3827ca18f5ae9b0879e2ecf10f3fac27ba599943c4c0c52461

CREATE TABLE projects (
    id INTEGER NOT NULL, 
    name VARCHAR(100) NOT NULL, 
    PRIMARY KEY (id), 
    UNIQUE (name)
);

CREATE TABLE _alembic_tmp_todos (
    id INTEGER NOT NULL, 
    title VARCHAR(200) NOT NULL, 
    done BOOLEAN DEFAULT '0' NOT NULL, 
    created_at DATETIME NOT NULL, 
    project_id INTEGER, 
    PRIMARY KEY (id), 
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);

INSERT INTO _alembic_tmp_todos (id, title, done, created_at) SELECT todos.id, todos.title, todos.done, todos.created_at 
FROM todos;

DROP TABLE todos;

ALTER TABLE _alembic_tmp_todos RENAME TO todos;

CREATE INDEX ix_todos_project_id ON todos (project_id);

-- @rollback

CREATE TABLE _alembic_tmp_todos (
    id INTEGER NOT NULL, 
    title VARCHAR(200) NOT NULL, 
    done BOOLEAN DEFAULT '0' NOT NULL, 
    created_at DATETIME NOT NULL, 
    PRIMARY KEY (id)
);

INSERT INTO _alembic_tmp_todos (id, title, done, created_at) SELECT todos.id, todos.title, todos.done, todos.created_at 
FROM todos;

DROP TABLE todos;

ALTER TABLE _alembic_tmp_todos RENAME TO todos;

DROP TABLE projects;
