package dev.lowbit.engine.model;

/** The linear layers of a decoder block, plus the final classifier. */
public enum LinearKind {
    Q, K, V, O, GATE, UP, DOWN, CLASSIFIER
}
