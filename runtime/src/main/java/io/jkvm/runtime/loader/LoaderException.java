package io.jkvm.runtime.loader;

/**
 * An image jkvm refuses to load, with the file and the problem ({@code "hello.elf: truncated program header
 * table"}). Loaders validate everything they read before writing guest memory, so a refused image has written
 * nothing outside the ranges it was allowed to, and nothing at all when the problem is found while parsing.
 */
public final class LoaderException extends Exception {
    private final String file;
    private final String problem;

    public LoaderException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    public LoaderException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** The image file (as the user named it). */
    public String file() {
        return file;
    }

    /** What is wrong with it, without the file name. */
    public String problem() {
        return problem;
    }
}
