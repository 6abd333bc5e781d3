<?php

declare(strict_types=1);

namespace Shop;

/** The directory users upload into: a volume the application owns. */
final class Uploads
{
    public function __construct(private string $dir)
    {
    }

    public function count(): int
    {
        return count(glob($this->dir . '/*') ?: []);
    }
}
