CREATE TABLE `invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`invited_by` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`accepted_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`invited_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_org_email` ON `invitations` (`org_id`,`email`);--> statement-breakpoint
CREATE INDEX `invitations_email` ON `invitations` (`email`);--> statement-breakpoint
CREATE TABLE `refresh_families` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`authenticated_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `refresh_families_user` ON `refresh_families` (`user_id`);--> statement-breakpoint
CREATE INDEX `refresh_families_expires` ON `refresh_families` (`expires_at`);--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `parent_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_parent_id_unique` ON `refresh_tokens` (`parent_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `tokens_valid_after` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `password_resets_expires` ON `password_resets` (`expires_at`);--> statement-breakpoint
CREATE INDEX `runs_user_status` ON `runs` (`user_id`,`status`);--> statement-breakpoint
CREATE INDEX `runs_finished` ON `runs` (`finished_at`);--> statement-breakpoint
-- Existing logins keep working: each existing family gets its row (revoked if its tokens were).
INSERT INTO `refresh_families` (`id`, `user_id`, `authenticated_at`, `created_at`, `expires_at`, `revoked_at`)
SELECT `family_id`, `user_id`, min(`created_at`), min(`created_at`), max(`expires_at`), max(`revoked_at`)
FROM `refresh_tokens` GROUP BY `family_id`, `user_id`;
