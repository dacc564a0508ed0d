CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`api_key_id` text,
	`provider` text NOT NULL,
	`model` text NOT NULL,
	`language` text NOT NULL,
	`prompt` text NOT NULL,
	`status` text NOT NULL,
	`error_code` text,
	`max_attempts` integer NOT NULL,
	`attempts` text DEFAULT '[]' NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tasks_org_user_created` ON `tasks` (`org_id`,`user_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `runs` ADD `task_id` text;--> statement-breakpoint
CREATE INDEX `runs_task` ON `runs` (`task_id`);