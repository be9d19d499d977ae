"""The ``face_detection`` console script of face_recognition 1.3.0: prints
``path,top,right,bottom,left`` for every face of a photo, or of every .jpg/.jpeg/.png of a folder
(detection at upsample 0, as face_recognition)."""

import itertools
import multiprocessing
import os
import re

import click

from . import api as face_recognition


def print_result(filename, location):
    top, right, bottom, left = location
    print("{},{},{},{},{}".format(filename, top, right, bottom, left))


def test_image(image_to_check, model):
    image = face_recognition.load_image_file(image_to_check)
    for location in face_recognition.face_locations(image, number_of_times_to_upsample=0, model=model):
        print_result(image_to_check, location)


def image_files_in_folder(folder):
    return [os.path.join(folder, f) for f in os.listdir(folder) if re.match(r'.*\.(jpg|jpeg|png)', f, flags=re.I)]


def process_images_in_process_pool(images_to_check, number_of_cpus, model):
    processes = None if number_of_cpus == -1 else number_of_cpus
    context = multiprocessing
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
    with context.Pool(processes=processes) as pool:
        pool.starmap(test_image, zip(images_to_check, itertools.repeat(model)))


@click.command()
@click.argument('image_to_check')
@click.option('--cpus', default=1, help='number of CPU cores to use in parallel. -1 means "use all in system"')
@click.option('--model', default="hog", help='Which face detection model to use. Options are "hog" or "cnn".')
def main(image_to_check, cpus, model):
    if not os.path.isdir(image_to_check):
        test_image(image_to_check, model)
    elif cpus == 1:
        for image_file in image_files_in_folder(image_to_check):
            test_image(image_file, model)
    else:
        process_images_in_process_pool(image_files_in_folder(image_to_check), cpus, model)


if __name__ == "__main__":
    main()
