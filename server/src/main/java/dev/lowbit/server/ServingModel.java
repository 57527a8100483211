package dev.lowbit.server;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.batch.BatchGenerator;
import dev.lowbit.engine.chat.ChatPrompt;

/** The model a server runs: its tokenizer and chat template, and the generator that batches its requests. */
record ServingModel(String id, LoadedModel loaded, BatchGenerator generator, ChatPrompt chat, long createdSeconds) {}
